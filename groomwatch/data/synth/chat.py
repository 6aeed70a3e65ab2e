"""Conversation scripts as sequences of turns, and the ordinary chat every script shares.

A script says who speaks and which grammar move they make; the wording comes later. Grooming
and benign scripts draw their openings, small talk and closings from the same functions with the
same probabilities, so how much ordinary chat surrounds the scenario never reveals the label.
"""

from __future__ import annotations

import random
from bisect import bisect
from collections.abc import Sequence
from itertools import accumulate
from typing import NamedTuple, TypeVar

T = TypeVar("T")


class Turn(NamedTuple):
    speaker: int  # index into the conversation's personas
    move: str
    grooming: int = 0
    stage: str | None = None


def pick(rng: random.Random, options: Sequence[T]) -> T:
    """``rng.choice`` without its bit-by-bit rejection loop: scripts pick a lot, this is faster."""
    return options[int(rng.random() * len(options))]


#: scenario moves (each with its answer) that open every script's middle, before any small talk
OPENING_MOVES = 2


#: the share of turns a script spends on its scenario rather than small talk, drawn uniformly
#: per conversation. Offenders keep coming back to their agenda; look-alike chats touch their
#: topic (a pick-up, a photo, a date) among more everyday talk. That is what the real logs show:
#: each grooming cue comes up more often in offender lines than in real benign chat
#: (``cues.REAL_RATES``), so a look-alike must not carry a cue more densely than grooming does.
#: Yet a real offender's window of ten lines holds about one cue (0.6 of them hold any), the
#: rest being answers, "ok"s and everyday talk: an offender who pushes the agenda in every line
#: teaches a detector to wait for a pile of cues that real offenders never type.
#: 3.3 lowered the look-alikes' share from 0.2-0.5 to 0.1-0.3, nearer the cue density of real
#: chat-room and chit-chat windows: a detector trained on them ranked real offender windows
#: higher on real train+validation windows (recall at 1% FPR +0.02-0.04 on three seeds).
GROOMING_SHARE = (0.35, 0.65)
LOOKALIKE_SHARE = (0.1, 0.3)


#: share of answers the asker acknowledges in a short line of its own ("ok", "lol", "cool"): a
#: tenth of real offender lines and of chat-room lines are such a bare acknowledgement and a
#: third to a half are two words or fewer; the same in grooming and look-alike chats. 3.3: 0.35
#: (was 0.5): with look-alikes now mostly small talk, grooming chats held more of these
#: bare lines than benign ones, and their shorter messages lifted the shortcut audit
ACKNOWLEDGE = 0.35
ACKS = ("react", "agree", "agree", "react", "c_open")


def move_share(rng: random.Random, bounds: tuple[float, float]) -> float:
    """Share of turns spent on the scenario rather than small talk, drawn per conversation."""
    return rng.uniform(*bounds)


REPLY_KINDS = ("open", "hesitant", "resistant", "change")
#: answer moves that are the only fitting open reply to their question (an age to "how old r u")
ANSWERS = frozenset(("say_age", "say_school", "say_where", "say_home", "support_answer"))


#: how likely each of REPLY_KINDS is for one person, as cumulative weights
ReplyStyle = tuple[float, ...]


def reply_style(rng: random.Random) -> ReplyStyle:
    """How one person tends to answer: mostly open, mostly wary, or in between.

    Children answering offenders and anyone answering in a benign chat draw from this same
    distribution, so wariness or refusal never gives the label away by itself.
    """
    weights = [rng.random() ** 2 for _ in REPLY_KINDS]
    weights[0] += rng.random()
    return tuple(accumulate(weights))


def styled_reply(
    rng: random.Random, style: ReplyStyle, fitting: tuple[str, ...] = ()
) -> tuple[str, str]:
    """The kind of an answer and its move; ``fitting`` are open answers that suit the question."""
    kind = REPLY_KINDS[min(bisect(style, rng.random() * style[-1]), len(REPLY_KINDS) - 1)]
    if kind == "open":
        # a plain "ok", "yeah", "nice" fits most remarks, in any kind of chat, but a question
        # such as "how old r u" gets its answer
        generic = not fitting or (fitting[0] not in ANSWERS and rng.random() < 0.3)
        return kind, pick(rng, ("c_open", "agree", "react") if generic else fitting)
    if kind == "hesitant":
        return kind, pick(rng, ("c_hesitant", "unsure"))
    if kind == "resistant":
        return kind, pick(rng, ("c_resist", "refuse"))
    return kind, "change_subject"


#: share of chats that pick up an earlier session ("hey u there"), and of small-talk exchanges
#: that restart one after a break of days; the same in every kind of chat
RESTART_OPENING = 0.2
RESTART_TALK = 0.04


def opening(rng: random.Random, first: int) -> list[Turn]:
    other = 1 - first
    if rng.random() < RESTART_OPENING:
        return [Turn(first, "restart"), Turn(other, pick(rng, ("hello", "fine", "react")))]
    turns = [Turn(first, "hello")]
    roll = rng.random()
    if roll < 0.5:
        turns += [Turn(other, "hello"), Turn(first, "howru"), Turn(other, "fine")]
    elif roll < 0.8:
        turns.append(Turn(other, pick(rng, ("hello", "howru", "react"))))
    return turns


def _statement(rng: random.Random) -> str:
    return "story" if rng.random() < 0.25 else "tell"


def small_talk(rng: random.Random, first: int, stage: str | None = None) -> list[Turn]:
    """One short exchange about everyday things."""
    other = 1 - first
    if rng.random() < RESTART_TALK:  # a new session, days later
        answer = pick(rng, ("hello", "fine", "react", "tell"))
        return [Turn(first, "restart", 0, stage), Turn(other, answer, 0, stage)]
    roll = rng.random()
    if roll < 0.4:
        turns = [Turn(first, "ask", 0, stage), Turn(other, _statement(rng), 0, stage)]
        if rng.random() < 0.5:
            turns.append(Turn(first, pick(rng, ("react", "tell", "ask")), 0, stage))
        return turns
    if roll < 0.72:
        reply = pick(rng, ("react", "tell", "ask"))
        return [Turn(first, _statement(rng), 0, stage), Turn(other, reply, 0, stage)]
    if roll < 0.86:
        return [Turn(first, "react", 0, stage)]
    if roll < 0.94:
        return [Turn(first, "brb", 0, stage), Turn(first, pick(rng, ("react", "tell")), 0, stage)]
    # the other took a while to answer: "hello?", "you there?"
    answer = pick(rng, ("react", "tell", "brb"))
    return [Turn(first, "nudge", 0, stage), Turn(other, answer, 0, stage)]


def closing(rng: random.Random, leaver: int, move: str = "bye") -> list[Turn]:
    """The goodbye (or none: many chats just stop)."""
    roll = rng.random()
    if roll < 0.35:
        return []
    if roll < 0.7:
        return [Turn(leaver, move)]
    return [Turn(leaver, move), Turn(1 - leaver, pick(rng, ("bye", "react", "agree")))]


def edges(
    opening_turns: list[Turn], closing_turns: list[Turn], n: int
) -> tuple[list[Turn], list[Turn]]:
    """A short chat is a window cut from a longer exchange: greetings and goodbyes take at most
    a quarter of its ``n`` turns."""
    cap = max(1, n // 4)
    return opening_turns[:cap], closing_turns[:cap]


def fit(
    turns: list[Turn], opening_turns: list[Turn], closing_turns: list[Turn], n: int
) -> list[Turn]:
    """Exactly ``n`` turns (fewer only if the script is shorter): the opening, the middle, the
    closing. The opening moves of the middle survive, so even a tiny chat holds the scenario."""
    middle = turns[: max(2 * OPENING_MOVES, n - len(opening_turns) - len(closing_turns))]
    closing_turns = closing_turns[: max(0, n - len(opening_turns) - len(middle))]
    opening_turns = opening_turns[: max(0, n - len(middle) - len(closing_turns))]
    return (opening_turns + middle + closing_turns)[:n]
