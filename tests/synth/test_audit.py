"""The shortcut audit: shallow features and marker terms must not give the label away."""

from __future__ import annotations

import dataclasses

import pytest

from groomwatch.data.record import Conversation
from groomwatch.data.split import split_conversations
from groomwatch.data.synth import SynthConfig, generate
from groomwatch.data.synth.audit import (
    SHALLOW_AUC_LIMIT,
    AuditResult,
    count_terms,
    markers,
    run_audit,
    shallow_auc,
)


def _splits(config: SynthConfig) -> dict[str, list[Conversation]]:
    return split_conversations(generate(config), config.split, config.seed)


@pytest.fixture(scope="module")
def small_run() -> dict[str, list[Conversation]]:
    return _splits(SynthConfig(n=2400, prevalence=0.25, seed=31))


def test_small_run_passes_the_audit(small_run):
    audit = run_audit(small_run["train"], small_run["test"], seed=31)
    assert audit.shallow_auc <= SHALLOW_AUC_LIMIT
    assert audit.markers == []
    assert len(audit.top_words) == 20
    assert audit.verdict == "passed"


@pytest.mark.parametrize(("grooming", "benign"), [(3, 27), (40, 700), (90, 150)])
def test_small_test_split_is_inconclusive_not_failed(grooming, benign):
    """A handful of conversations cannot show a shortcut either way, even at AUC 0.9."""
    audit = AuditResult(0.9, [], [], test_conversations=grooming + benign, test_grooming=grooming)
    assert audit.verdict == "inconclusive"
    assert f"{grooming} grooming and {benign} benign" in audit.inconclusive_reason


def test_large_enough_test_split_can_fail():
    audit = AuditResult(0.9, [], [], test_conversations=750, test_grooming=75)
    assert audit.inconclusive_reason is None
    assert audit.verdict == "FAILED"


def _shout(conv: Conversation) -> Conversation:
    messages = [dataclasses.replace(m, text=m.text.upper() + "!!") for m in conv.messages]
    return dataclasses.replace(conv, messages=messages)


def test_audit_catches_a_planted_surface_shortcut(small_run):
    """Upper-casing grooming conversations must be caught: the check can fail."""
    planted = {
        name: [_shout(c) if c.label == 1 else c for c in convs] for name, convs in small_run.items()
    }
    assert shallow_auc(planted["train"], planted["test"]) > 0.9


def test_audit_catches_a_planted_marker_word(small_run):
    def plant(conv: Conversation) -> Conversation:
        first = dataclasses.replace(
            conv.messages[0], text=conv.messages[0].text + " zebra crossing"
        )
        return dataclasses.replace(conv, messages=[first, *conv.messages[1:]])

    test = [plant(c) if c.label == 1 else c for c in small_run["test"]]
    found = [m.term for m in markers(count_terms(test))]
    assert {"zebra", "crossing", "zebra crossing"} <= set(found)


@pytest.mark.slow
def test_default_run_passes_the_audit():
    """The issue's figure: the test split of a default 5,000-conversation run."""
    splits = _splits(SynthConfig())
    audit = run_audit(splits["train"], splits["test"], seed=7)
    assert audit.shallow_auc <= SHALLOW_AUC_LIMIT
    assert audit.markers == []
