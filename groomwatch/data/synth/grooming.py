"""Grooming scripts: an offender moving a child through the stages, the child answering.

Stages follow O'Connell's order but, as Black et al. found, offenders vary it: fast offenders
spend little time on friendship and reach the sexual stage and approach early; slow ones build
the relationship at length. Stages may be skipped, swapped or returned to, and a short
conversation is a window onto part of a longer relationship.
"""

from __future__ import annotations

import random

from groomwatch.data.record import STAGES
from groomwatch.data.synth.chat import (
    ACKNOWLEDGE,
    ACKS,
    GROOMING_SHARE,
    OPENING_MOVES,
    Turn,
    closing,
    edges,
    fit,
    move_share,
    opening,
    pick,
    reply_style,
    small_talk,
    styled_reply,
)
from groomwatch.data.synth.personas import OffenderProfile

OFFENDER, CHILD = 0, 1

#: the offender's moves in each stage, before the strategy adds its own
STAGE_MOVES: dict[str, tuple[str, ...]] = {
    "friendship_forming": ("g_friend",) * 5
    + ("ask_age", "g_age_react", "ask_school", "ask_where", "compliment", "g_private"),
    "relationship_forming": ("g_bond",) * 4
    + ("g_flatter", "g_age_react", "compliment", "mature", "g_gift", "g_photo", "g_private"),
    "risk_assessment": ("g_risk",) * 4 + ("who_home", "ask_where", "ask_school", "g_secret"),
    "exclusivity": ("g_secret",) * 3
    + ("g_private", "g_private", "keep_quiet", "delete_it", "move_app", "g_photo"),
    "sexual": ("g_sexual", "g_sexual", "g_photo", "g_photo", "g_secret"),
    "approach": ("g_approach",) * 4
    + ("arrange_meet", "pickup", "ask_where", "g_private", "g_gift", "g_secret"),
}

#: moves a strategy adds, by stage
STRATEGY_MOVES: dict[str, dict[str, tuple[str, ...]]] = {
    "flattery": {
        s: ("g_flatter", "compliment") for s in ("relationship_forming", "exclusivity", "sexual")
    },
    "gifts": {
        s: ("g_gift", "gift") for s in ("friendship_forming", "relationship_forming", "approach")
    },
    "mentoring": {s: ("g_mentor", "proud") for s in ("friendship_forming", "relationship_forming")},
    "peer_pretence": {
        "friendship_forming": ("g_peer", "say_age", "teen_flirt"),
        "relationship_forming": ("g_peer", "teen_flirt"),
    },
    "pressure": {s: ("g_pressure",) for s in ("exclusivity", "sexual", "approach")},
}

#: how much of the conversation each stage takes, for slow and fast offenders
_TEMPO = {
    False: dict(zip(STAGES, (3.0, 3.0, 1.2, 1.2, 0.6, 1.0), strict=True)),
    True: dict(zip(STAGES, (1.0, 1.0, 1.0, 1.0, 2.0, 1.6), strict=True)),
}

#: the child's fitting open answer to some offender moves
_OPEN_ANSWERS = {
    "ask_age": ("say_age",),
    "ask_school": ("say_school",),
    "g_age_react": ("react", "c_open", "thanks", "say_age"),
    "g_sexual": ("c_hesitant", "unsure", "c_open", "react"),
    "g_approach": ("c_hesitant", "unsure", "agree", "say_home"),
    "g_secret": ("c_open", "agree"),
    "ask_where": ("say_where", "unsure"),
    "who_home": ("say_home",),
    "g_risk": ("say_home", "c_open"),
    "g_gift": ("thanks", "c_open"),
    "gift": ("thanks",),
    "compliment": ("thanks", "c_open"),
    "g_flatter": ("thanks", "c_open", "react"),
    "mature": ("thanks",),
    "proud": ("thanks",),
    "ask": ("tell",),
    "g_friend": ("tell", "c_open"),
    "ask_photo": ("send_photo", "c_hesitant"),
    "g_photo": ("c_hesitant", "unsure", "c_open"),
    "move_app": ("agree", "unsure"),
    "g_private": ("agree", "c_open", "unsure"),
    "teen_flirt": ("react", "tell"),
    "g_peer": ("react", "tell", "say_age"),
}
#: share of stage changes that open a new session days later ("hey u there"): with its agenda
#: an offender's chat holds less small talk, where other chats' restarts happen, so without
#: these its longest pause would be shorter than a look-alike's
STAGE_RESTART = 0.05
_GREET = ("hello", "fine", "react")
#: share of small-talk exchanges in which the child asks and the offender answers: real
#: offender lines are often answers ("22 m", "no", "maybe", "at work"), not only questions
CHILD_ASKS = 0.35
_CHILD_QUESTIONS = (
    ("ask_age", ("say_age",)),
    ("ask_where", ("say_where",)),
    ("ask", ("tell", "story")),
    ("ask", ("tell", "unsure")),
    ("adult_ask", ("adult_tell",)),
    ("howru", ("fine",)),
)
#: stages whose moves set grooming apart from friendly chat; a short window shows one of them
_TELLING = frozenset(("risk_assessment", "exclusivity", "sexual", "approach"))


def plan_stages(rng: random.Random, fast: bool) -> list[str]:
    """The order of stages for one offender-child relationship."""
    stages = [s for i, s in enumerate(STAGES) if i == 0 or rng.random() > (0.12 if fast else 0.2)]
    if len(stages) > 2 and rng.random() < 0.3:
        i = rng.randrange(1, len(stages) - 1)
        stages[i], stages[i + 1] = stages[i + 1], stages[i]
    if len(stages) > 1 and rng.random() < 0.35:
        stages.insert(rng.randrange(2, len(stages) + 1), pick(rng, STAGES[:2]))
    return stages


def grooming_script(
    rng: random.Random, profile: OffenderProfile, n: int, double: float = 0.0
) -> list[Turn]:
    """Exactly ``n`` turns of one grooming conversation (speaker 0 offends, 1 is the child);
    a share ``double`` of the offender's messages carry two moves (the grammar's
    ``DOUBLE_MOVES``)."""
    first = OFFENDER if rng.random() < 0.7 else CHILD
    start = opening(rng, first)
    style = reply_style(rng)
    own_style = reply_style(rng)  # how the offender answers the child's questions
    leaver = CHILD if rng.random() < 0.7 else OFFENDER
    leave_move = "c_leave" if leaver == CHILD and rng.random() < 0.5 else "bye"
    start, end = edges(start, closing(rng, leaver, leave_move), n)
    budget = max(2, n - len(start) - len(end))

    stages = plan_stages(rng, profile.fast)
    fitting = max(1, budget // 4)
    if len(stages) > fitting:  # a short chat shows a window onto a longer relationship
        windows = [stages[i : i + fitting] for i in range(len(stages) - fitting + 1)]
        telling = [w for w in windows if _TELLING.intersection(w)]
        stages = pick(rng, telling or windows)
    tempo = _TEMPO[profile.fast]
    total = sum(tempo[s] for s in stages)
    share = move_share(rng, GROOMING_SHARE)
    extra = STRATEGY_MOVES[profile.strategy]

    middle: list[Turn] = []
    for stage in stages:
        if middle and rng.random() < STAGE_RESTART:  # the next stage, days later
            greeting = pick(rng, _GREET)
            middle += [Turn(OFFENDER, "restart", 0, stage), Turn(CHILD, greeting, 0, stage)]
        target = len(middle) + max(2, round(budget * tempo[stage] / total))
        moves = STAGE_MOVES[stage] + extra.get(stage, ())
        block_start = len(middle)
        while len(middle) < target:
            opened = len(middle) > block_start and len(middle) >= OPENING_MOVES * 2
            if opened and rng.random() >= share:
                if rng.random() < CHILD_ASKS:  # the child asks, the offender answers
                    question, answers = pick(rng, _CHILD_QUESTIONS)
                    answer = styled_reply(rng, own_style, answers)[1]
                    middle += [Turn(CHILD, question, 0, stage), Turn(OFFENDER, answer, 0, stage)]
                else:
                    middle += small_talk(rng, pick(rng, (OFFENDER, CHILD)), stage)
                continue
            # each stage opens with its own signature move (the first listed)
            move = moves[0] if len(middle) == block_start else pick(rng, moves)
            if rng.random() < double:  # two moves in one message
                second = pick(rng, moves)
                move = f"{move}+{second}" if second != move else move
            kind, answer = styled_reply(rng, style, _OPEN_ANSWERS.get(move.rpartition("+")[2], ()))
            middle += [Turn(OFFENDER, move, 1, stage), Turn(CHILD, answer, 0, stage)]
            if rng.random() < ACKNOWLEDGE:  # "ok", "lol", "cool": the answer was heard
                middle.append(Turn(OFFENDER, pick(rng, ACKS), 0, stage))
            if answer == "say_age" and rng.random() < 0.4:  # the adult's reaction to the age
                middle.append(Turn(OFFENDER, "g_age_react", 1, stage))
            if kind == "resistant" and profile.strategy == "pressure" and rng.random() < 0.6:
                middle.append(Turn(OFFENDER, "g_pressure", 1, stage))
            elif kind == "resistant" and rng.random() < 0.4:
                back_off = pick(rng, ("g_bond", "react", "change_subject"))
                middle.append(Turn(OFFENDER, back_off, int(back_off == "g_bond"), stage))
    while len(middle) < budget:  # the stages' rounded shares can leave it a turn short
        middle += small_talk(rng, pick(rng, (OFFENDER, CHILD)), stages[-1])
    start = [t._replace(stage=stages[0]) for t in start]
    end = [t._replace(stage=stages[-1]) for t in end]
    return fit(middle, start, end, n)
