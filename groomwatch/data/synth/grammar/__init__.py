"""Compositional phrase grammars: one per language, written natively, expanded at random.

A grammar maps rule names to alternative templates. A template mixes literal text with
``{rule}`` (expand another rule), ``{rule?}`` (expand it half of the time), ``{AGE}``-style
upper-case context slots filled by the caller, and inline choices ``(a|b|)`` that may nest.
Because every move is built from several independently chosen parts, the same intent comes out
in many wordings and no single phrase marks a class. Parsed templates are compiled into lookup
tables (see ``compiled``) so that expansion stays cheap.
"""

from __future__ import annotations

import importlib
import random
import re
from functools import cache, lru_cache

from groomwatch.data.synth.grammar.compiled import Choice, Compiler, Ref, Table, emit
from groomwatch.data.synth.grammar.shared import SHARED
from groomwatch.errors import ConfigError

LANGUAGES = ("en", "de", "fr", "es", "nl", "pl")

#: Moves every grammar must define; the conversation scripts refer to these names.
MOVES = (
    # ordinary chat, used by every kind of conversation
    "hello",
    "howru",
    "fine",
    "ask",
    "tell",
    "react",
    "agree",
    "refuse",
    "unsure",
    "thanks",
    "bye",
    "brb",
    "change_subject",
    "nudge",
    "adult_ask",
    "adult_tell",
    # behaviour shared by grooming and its benign look-alikes
    "ask_age",
    "say_age",
    "ask_where",
    "say_where",
    "compliment",
    "ask_photo",
    "send_photo",
    "arrange_meet",
    "pickup",
    "keep_quiet",
    "who_home",
    "say_home",
    "gift",
    "move_app",
    "delete_it",
    "proud",
    "mature",
    "ask_school",
    "say_school",
    "restart",
    # offender moves by stage and strategy
    "g_friend",
    "g_bond",
    "g_flatter",
    "g_gift",
    "g_mentor",
    "g_peer",
    "g_risk",
    "g_secret",
    "g_private",
    "g_sexual",
    "g_photo",
    "g_approach",
    "g_pressure",
    "g_age_react",
    # child answers to them
    "c_open",
    "c_hesitant",
    "c_resist",
    "c_leave",
    # benign scenarios
    "flirt",
    "date",
    "intimate",
    "parent_plan",
    "permission_slip",
    "surprise",
    "coach_plan",
    "teen_flirt",
    "banter",
    "support_ask",
    "support_answer",
    "support_info",
    "room_chat",
)

#: share of offender messages carrying two moves in a language whose module sets no
#: ``DOUBLE_MOVES`` of its own (English sets its own, calibrated on the real logs). Before 3.3
#: the other five languages had none: their offenders' messages were shorter than benign ones
#: (mean-length ROC-AUC 0.39-0.45 per language on the defaults, which the shortcut audit read)
#: and held fewer cues each, so look-alikes showed photo or private-channel cues as often as
#: grooming in some languages. At 0.25 the lengths match (ROC-AUC 0.52) and every cue is
#: denser in grooming in every language; 0.35 overshot (0.54-0.56, audit up on two seeds).
DOUBLE_MOVES = 0.25

_SLOT = re.compile(r"\{([A-Za-z_]+)(\??)\}")
#: a redaction placeholder such as ``[SEXUAL_CONTENT]``: real chat has none, so by default
#: alternatives holding one are dropped (see ``load_grammar``)
REDACTION_TOKEN = re.compile(r"\[[A-Z_]+\]")


class Grammar:
    """A language's compiled rules; ``expand`` turns a move name into one random wording."""

    def __init__(
        self,
        language: str,
        rules: dict[str, list[str]],
        abbreviations: dict[str, str],
        double_moves: float = 0.0,
        laughs: dict[str, dict[str, float]] | None = None,
    ):
        self.language = language
        self.abbreviations = abbreviations
        #: the language's ways of laughing (the plain words of the ``lol`` rule), the pattern that
        #: finds them, and per register how likely a writer is to favour each (see ``laugh``)
        self.laugh_words = tuple(w for w in rules.get("lol", ()) if w.isalpha())
        self.laugh_pattern = re.compile(r"\b(?:" + "|".join(self.laugh_words) + r")\b")
        self._laughs = laughs or {}
        #: share of offender messages that carry two moves (see the grammar module)
        self.double_moves = double_moves
        self._rules = {name: tuple(_parse(t, name) for t in alts) for name, alts in rules.items()}
        for name, alternatives in self._rules.items():
            if not alternatives:
                raise ConfigError(f"grammar {language}: rule {name!r} has no alternatives")
            for alternative in alternatives:
                self._check_refs(name, alternative)
        missing = [m for m in MOVES if m not in self._rules]
        if missing:
            raise ConfigError(f"grammar {language}: missing moves {', '.join(missing)}")
        compiler = Compiler(self._rules)
        self._compiled = {name: compiler.rule(name) for name in self._rules}
        #: rules that became one table, with every wording already tidied: a single draw
        self._tidy = {
            name: Table(tuple(map(_tidy, node.texts)), node.cumulative)
            for name, node in self._compiled.items()
            if isinstance(node, Table)
        }
        # the same wordings recur all the time: cache where their abbreviable words are
        self._split_abbreviable = (
            lru_cache(maxsize=1 << 15)(
                re.compile(
                    r"\b(" + "|".join(map(re.escape, sorted(abbreviations, key=len)[::-1])) + r")\b"
                ).split
            )
            if abbreviations
            else None
        )

    def _check_refs(self, rule: str, sequence: tuple) -> None:
        for part in sequence:
            if isinstance(part, Ref) and not part.name.isupper() and part.name not in self._rules:
                raise ConfigError(
                    f"grammar {self.language}: {rule!r} refers to unknown {part.name!r}"
                )
            if isinstance(part, Choice):
                for option in part.options:
                    self._check_refs(rule, option)

    def laugh(self, rng: random.Random, register: str) -> str:
        """A writer's habitual laugh: chit-chat writes "haha", instant messages and chat rooms
        "lol" (the grammar's ``LAUGHS``, measured on real English chat); any of the language's
        laughs where the grammar gives no preference."""
        preferred = self._laughs.get(register)
        if not preferred:
            return pick_one(rng, self.laugh_words) if self.laugh_words else ""
        words = sorted(preferred)
        return rng.choices(words, weights=[preferred[w] for w in words])[0]

    def rule_names(self) -> list[str]:
        return sorted(self._rules)

    def expand(self, name: str, rng: random.Random, context: dict[str, str] | None = None) -> str:
        """One wording of ``name`` with single spaces and no space before punctuation."""
        table = self._tidy.get(name)
        if table is not None:
            return table.draw(rng)
        out: list[str] = []
        emit(self._compiled[name], self._compiled, rng, context or {}, out)
        return _tidy("".join(out))

    def abbreviate(self, text: str, rng: random.Random, rate: float) -> str:
        """Replace words by their chat abbreviations ("you" -> "u"), each with probability rate."""
        if self._split_abbreviable is None or rate <= 0:
            return text
        parts = self._split_abbreviable(text)  # [text, word, text, word, ..., text]
        if len(parts) == 1:
            return text
        parts = list(parts)  # the cached list must not change
        for i in range(1, len(parts), 2):
            if rng.random() < rate:
                parts[i] = self.abbreviations[parts[i]]
        return "".join(parts)


def pick_one(rng: random.Random, options: tuple[str, ...]) -> str:
    return options[int(rng.random() * len(options))]


def _tidy(text: str) -> str:
    """Single spaces, none before a comma or full stop."""
    return " ".join(text.split()).replace(" ,", ",").replace(" .", ".")


def _parse(template: str, rule: str) -> tuple:
    sequence, end = _parse_sequence(template, 0, rule)
    if end != len(template):
        raise ConfigError(f"grammar rule {rule!r}: stray ')' or '|' in {template!r}")
    return sequence


def _parse_sequence(text: str, pos: int, rule: str) -> tuple[tuple, int]:
    """Parse until an unmatched ``|`` or ``)``; returns the parts and the stop position."""
    parts: list = []
    literal: list[str] = []
    while pos < len(text):
        char = text[pos]
        if char in "|)":
            break
        if char == "(":
            if literal:
                parts.append("".join(literal))
                literal = []
            options = []
            pos += 1
            while True:
                option, pos = _parse_sequence(text, pos, rule)
                options.append(option)
                if pos >= len(text):
                    raise ConfigError(f"grammar rule {rule!r}: unclosed '(' in {text!r}")
                if text[pos] == ")":
                    pos += 1
                    break
                pos += 1  # skip '|'
            parts.append(Choice(tuple(options)))
            continue
        if char == "{":
            match = _SLOT.match(text, pos)
            if not match:
                raise ConfigError(f"grammar rule {rule!r}: bad slot in {text!r}")
            if literal:
                parts.append("".join(literal))
                literal = []
            parts.append(Ref(match.group(1), match.group(2) == "?"))
            pos = match.end()
            continue
        literal.append(char)
        pos += 1
    if literal:
        parts.append("".join(literal))
    return tuple(parts), pos


@cache
def load_grammar(language: str, tokens: bool = False) -> Grammar:
    """The compiled grammar of a language code (``en``, ``de``, ...).

    Without ``tokens`` (the default) every alternative holding a redaction placeholder is
    dropped and the shared placeholders are not added: a detector trained on placeholders puts
    its weight on words real chat never contains. With ``tokens`` they stay, for users who
    want to see where personal data or sexual content would stand.
    """
    if language not in LANGUAGES:
        raise ConfigError(f"unknown language {language!r}; choose from {', '.join(LANGUAGES)}")
    module = importlib.import_module(f"{__name__}.{language}")
    if tokens:
        rules = {
            name: [*alternatives, *SHARED.get(name, ())]
            for name, alternatives in module.RULES.items()
        }
    else:
        rules = {
            name: [a for a in alternatives if not REDACTION_TOKEN.search(a)]
            for name, alternatives in module.RULES.items()
        }
    return Grammar(
        language,
        rules,
        module.ABBREVIATIONS,
        getattr(module, "DOUBLE_MOVES", DOUBLE_MOVES),
        getattr(module, "LAUGHS", None),
    )
