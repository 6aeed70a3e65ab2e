"""The dataset card (README.md) written beside a generated dataset.

It says what is in the data and how it was made — counts, label balance, stages, lengths,
platforms, the full config — and reports the shortcut audit, so a user can judge the data
before training on it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
import yaml

from groomwatch.data.record import STAGES, Conversation
from groomwatch.data.synth.audit import (
    MARKER_MAX_BENIGN,
    MARKER_MIN_GROOMING,
    SHALLOW_AUC_LIMIT,
    SHALLOW_FEATURES,
    AuditResult,
)
from groomwatch.data.synth.config import SynthConfig
from groomwatch.data.synth.cues import CUES, REAL_RATES, conversation_cue_rates

_PERCENTILES = (5, 25, 50, 75, 95, 99)


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def _share(part: int, whole: int) -> str:
    return f"{part / whole:.1%}" if whole else "–"


def _splits_table(splits: dict[str, list[Conversation]]) -> str:
    rows = []
    for name, convs in splits.items():
        grooming = sum(c.label == 1 for c in convs)
        rows.append(
            [
                name,
                len(convs),
                sum(len(c.messages) for c in convs),
                grooming,
                len(convs) - grooming,
                _share(grooming, len(convs)),
                len({a for c in convs for a in c.offender_ids}),
            ]
        )
    return _table(
        ["split", "conversations", "messages", "grooming", "benign", "grooming share", "offenders"],
        rows,
    )


def _language_table(splits: dict[str, list[Conversation]], languages: Sequence[str]) -> str:
    rows = []
    for language in languages:
        row: list[object] = [language]
        for convs in splits.values():
            mine = [c for c in convs if c.language == language]
            grooming = sum(c.label == 1 for c in mine)
            row.append(f"{grooming} / {len(mine)} ({_share(grooming, len(mine))})")
        rows.append(row)
    return _table(["language", *(f"{s}: grooming / all" for s in splits)], rows)


def _stage_table(convs: Sequence[Conversation]) -> str:
    grooming_moves = Counter(m.stage for c in convs for m in c.messages if m.grooming == 1)
    messages = Counter(m.stage for c in convs if c.label == 1 for m in c.messages)
    reached = Counter(s for c in convs if c.label == 1 for s in {m.stage for m in c.messages})
    positives = sum(c.label == 1 for c in convs)
    rows = [[s, messages[s], grooming_moves[s], _share(reached[s], positives)] for s in STAGES]
    return _table(
        [
            "stage",
            "messages in grooming conversations",
            "offender grooming moves",
            "grooming conversations reaching it",
        ],
        rows,
    )


def _length_table(convs: Sequence[Conversation]) -> str:
    rows = []
    for label, name in ((1, "grooming"), (0, "benign")):
        counts = [len(c.messages) for c in convs if c.label == label]
        chars = [len(m.text) for c in convs if c.label == label for m in c.messages]
        if counts:
            rows.append(
                [
                    f"{name}: messages per conversation",
                    *np.percentile(counts, _PERCENTILES).round(0).astype(int),
                ]
            )
            rows.append(
                [
                    f"{name}: characters per message",
                    *np.percentile(chars, _PERCENTILES).round(0).astype(int),
                ]
            )
    return _table(["", *(f"p{p}" for p in _PERCENTILES)], rows)


def _count_table(convs: Sequence[Conversation], key: str, title: str) -> str:
    grooming = Counter(
        c.meta.get(key) if key != "platform" else c.platform for c in convs if c.label == 1
    )
    benign = Counter(
        c.meta.get(key) if key != "platform" else c.platform for c in convs if c.label != 1
    )
    names = sorted((set(grooming) | set(benign)) - {None}, key=str)
    return _table(
        [title, "grooming", "benign"],
        [[n, grooming[n], benign[n]] for n in names],
    )


def _audit_section(audit: AuditResult | None) -> str:
    if audit is None:
        return "Not run: the test split needs conversations of both labels."
    verdict = {"passed": "passed", "FAILED": "**FAILED**"}.get(audit.verdict, audit.verdict)
    if audit.inconclusive_reason is not None:
        verdict += f" ({audit.inconclusive_reason}; the figures below are for information only)"
    markers = (
        "none"
        if not audit.markers
        else ", ".join(
            f"`{m.term}` ({m.grooming:.0%} / {m.benign:.1%})" for m in audit.markers[:20]
        )
    )
    words = _table(
        ["word", "in grooming conversations", "in benign conversations", "log odds"],
        [
            [f"`{w.term}`", f"{w.grooming:.1%}", f"{w.benign:.1%}", f"{w.log_odds:+.2f}"]
            for w in audit.top_words
        ],
    )
    return f"""Measured on the test split ({audit.test_conversations} conversations, \
{audit.test_grooming} grooming). Overall: {verdict}.

- **Shallow features** ({", ".join(SHALLOW_FEATURES)}): a histogram gradient-boosting \
classifier fitted on the train split reaches ROC-AUC **{audit.shallow_auc:.3f}** on the test \
split (limit {SHALLOW_AUC_LIMIT}).
- **Marker terms** (a word or adjacent word pair in more than {MARKER_MIN_GROOMING:.0%} of \
grooming conversations and fewer than {MARKER_MAX_BENIGN:.0%} of benign ones): {markers}.

The 20 most class-predictive words (smoothed log odds of occurring in a grooming versus a benign \
conversation):

{words}"""


def _cue_section(convs: Sequence[Conversation], languages: Sequence[str]) -> str:
    """Per-message cue rates by class and language, beside the rates of the real corpora."""
    header = ["messages of", *CUES]
    rows: list[list[object]] = []
    for language in languages:
        for label, name in ((1, "grooming"), (0, "benign")):
            rates = conversation_cue_rates(convs, label, language)
            rows.append([f"synthetic {name} ({language})", *(f"{rates[c]:.2%}" for c in CUES)])
    for corpus, rates in REAL_RATES.items():
        rows.append([f"real {corpus} (en)", *(f"{rates[c]:.2%}" for c in CUES)])
    return (
        "Share of messages showing each cue (`groomwatch.data.synth.cues`: age/ASL questions, "
        "school, alone or parents home, location, secrecy, private channel, photo or webcam, "
        "looks or maturity, gifts, meeting). The real rows are measured on the real English "
        "corpora (rates only): Perverted-Justice offenders and their decoys, NPS Chat rooms, "
        "BYU Chit-Chat; each language is counted with its own patterns. Synthetic chats are "
        "denser in cues than real logs, which run for "
        "hundreds of lines; what matters is that grooming shows each cue more often than "
        "benign chat, as the offenders do.\n\n" + _table(header, rows)
    )


def render_card(
    config: SynthConfig,
    splits: dict[str, list[Conversation]],
    audit: AuditResult | None,
    version: str,
) -> str:
    """The Markdown text of the dataset card."""
    everything = [c for convs in splits.values() for c in convs]
    config_yaml = yaml.safe_dump(config.to_dict(), sort_keys=True, allow_unicode=True).strip()
    return f"""# Synthetic grooming conversations (groomwatch-synth {version})

Synthetic, **non-explicit** chat conversations for training and testing grooming detectors:
grooming conversations between an adult offender persona and a child persona (age 10–16), and
benign conversations — most of them hard look-alikes (consenting adults flirting, parents,
relatives and coaches organising a child's day, teenagers flirting, gaming banter, friends sharing
photos, customer support, public chat rooms) plus ordinary chit-chat. No sexual content is
generated in any language: the sexual stage is written in non-explicit steering language (a
lexicon scan finds no explicit term). Redaction tokens such as `[IMAGE]` appear only when the
config sets `redaction_tokens: true`.

Every message carries `grooming` (1 for an offender's grooming move) and, in grooming
conversations, `stage`. Participants carry `role`, `offender` and `age`. Splits are grouped by
offender persona, so no offender appears in two splits.

Generated with seed {config.seed}; the same seed and config reproduce these files byte for byte.

## Splits

{_splits_table(splits)}

## Label balance by language

{_language_table(splits, config.languages)}

## Stages

{_stage_table(everything)}

## Lengths

{_length_table(everything)}

## Platforms

{_count_table(everything, "platform", "platform")}

## Scenarios and offender strategies

{_count_table(everything, "scenario", "scenario")}

{_count_table(everything, "strategy", "strategy")}

## Cue rates

{_cue_section(everything, config.languages)}

## Shortcut audit

{_audit_section(audit)}

## Limitations

The conversations come from phrase grammars, not from real offenders or children; they model
the published stages and strategies of grooming but not the full variety of real chat. Models
trained on them must be validated on real data before any use (`benchmarks/real_transfer.py`).
The cue patterns are coarse. Each language has its own (`cues.PATTERNS`), but only English has
real corpora to set its rates beside: in the other five, what the table shows is that grooming
carries each cue more often than benign chat, not that the rates are those of real chat.

## Config

```yaml
{config_yaml}
```
"""
