"""Benign scripts, most of them hard look-alikes of grooming.

Each scenario shares surface behaviour with grooming — ages asked, photos requested, secrets
kept, pick-ups arranged, compliments paid, apps switched — in a context that makes it harmless:
parents and coaches organising a child's day, consenting adults, teenagers among themselves,
strangers bantering over a game, support agents.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from groomwatch.data.synth import personas
from groomwatch.data.synth.chat import (
    ACKNOWLEDGE,
    ACKS,
    LOOKALIKE_SHARE,
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
from groomwatch.data.synth.personas import Persona

#: (who speaks, the move, the moves the other may answer with)
Beat = tuple[int, str, tuple[str, ...]]


@dataclass(frozen=True)
class Scenario:
    name: str
    cast: Callable[[random.Random], tuple[Persona, Persona]]
    beats: tuple[Beat, ...]
    #: bounds of the share of turns spent on the beats rather than small talk
    share: tuple[float, float] = LOOKALIKE_SHARE
    #: how the chat is typed (``surface.REGISTERS``): instant messages ("u", "r", "dont"), a
    #: public chat room, or adults' everyday typed chat, where "u" for "you" almost never occurs
    register: str = "im"


def _parent(rng: random.Random) -> tuple[Persona, Persona]:
    return personas.adult(rng, 28, 56), personas.child(rng)


def _relative(rng: random.Random) -> tuple[Persona, Persona]:
    return personas.adult(rng, 20, 78), personas.child(rng)


def _coach(rng: random.Random) -> tuple[Persona, Persona]:
    return personas.adult(rng, 22, 64), personas.child(rng, 10, 16)


def _adults(rng: random.Random) -> tuple[Persona, Persona]:
    return personas.adult(rng, 19, 58), personas.adult(rng, 19, 58)


def _teens(rng: random.Random) -> tuple[Persona, Persona]:
    return personas.child(rng, 13, 16), personas.child(rng, 13, 16)


def _strangers(rng: random.Random) -> tuple[Persona, Persona]:
    """People meeting online: mostly adults, sometimes teenagers among themselves."""
    if rng.random() < 0.25:
        return _teens(rng)
    return personas.adult(rng, 18, 45), personas.adult(rng, 18, 45)


def _anyone(rng: random.Random) -> tuple[Persona, Persona]:
    def one() -> Persona:
        return personas.child(rng) if rng.random() < 0.45 else personas.adult(rng, 18, 50)

    return one(), one()


_ACK = ("agree", "react", "c_open")
_CARE = (
    (0, "parent_plan", ("agree", "tell", "unsure", "react", "c_hesitant")),
    (0, "permission_slip", ("send_photo", "agree", "unsure")),
    (0, "surprise", ("agree", "c_open", "react")),
    (0, "pickup", ("agree", "thanks", "c_open")),
    (0, "proud", ("thanks",)),
    (0, "mature", ("thanks", "react")),
    (0, "who_home", ("say_home",)),
    (0, "delete_it", ("agree", "refuse", "c_hesitant")),
    (0, "ask_where", ("say_where",)),
)

SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario("parent_child", _parent, (*_CARE, (0, "gift", ("thanks",)))),
        Scenario(
            "relative_child",
            _relative,
            (
                *_CARE,
                (0, "gift", ("thanks", "c_open")),
                (0, "ask_age", ("say_age",)),
                (0, "compliment", ("thanks",)),
                (0, "arrange_meet", ("agree", "unsure")),
                (0, "send_photo", ("react", "compliment")),
            ),
        ),
        Scenario(
            "coach_pupil",
            _coach,
            (
                (0, "coach_plan", ("agree", "c_hesitant", "unsure")),
                (0, "pickup", ("agree", "thanks")),
                (0, "proud", ("thanks",)),
                (0, "mature", ("thanks",)),
                (0, "g_mentor", ("agree", "thanks")),
                (0, "permission_slip", ("send_photo", "agree")),
                (0, "keep_quiet", _ACK),
                (0, "who_home", ("say_home",)),
                (1, "unsure", ("coach_plan", "agree")),
                (0, "arrange_meet", ("agree", "unsure")),
            ),
        ),
        Scenario(
            "adults_flirting",
            _adults,
            (
                (0, "flirt", ("flirt", "react", "thanks", "intimate")),
                (1, "flirt", ("flirt", "react", "intimate")),
                (0, "date", ("agree", "unsure", "refuse")),
                (0, "intimate", ("intimate", "flirt", "react")),
                (1, "intimate", ("intimate", "react")),
                (1, "intimate", ("intimate", "flirt", "agree")),
                (0, "ask_age", ("say_age",)),
                (0, "compliment", ("thanks", "flirt")),
                (0, "ask_photo", ("send_photo", "refuse")),
                (0, "keep_quiet", _ACK),
                (0, "who_home", ("say_home",)),
                (0, "move_app", ("agree",)),
                (0, "arrange_meet", ("agree", "unsure")),
                (0, "pickup", ("agree", "thanks")),
                (1, "delete_it", ("agree", "react")),
                (0, "adult_ask", ("adult_tell", "tell")),
                (0, "g_private", ("agree", "unsure")),
            ),
        ),
        Scenario(
            "teens_flirting",
            _teens,
            (
                (0, "teen_flirt", ("teen_flirt", "react", "unsure", "c_hesitant")),
                (1, "teen_flirt", ("react", "tell")),
                (0, "ask_age", ("say_age",)),
                (0, "compliment", ("thanks", "react")),
                (0, "keep_quiet", ("agree", "c_open")),
                (0, "arrange_meet", ("agree", "unsure", "refuse")),
                (0, "move_app", ("agree", "unsure")),
                (0, "delete_it", ("agree", "react")),
                (0, "ask_where", ("say_where",)),
                (0, "who_home", ("say_home",)),
                (0, "ask_photo", ("send_photo", "refuse", "c_resist")),
            ),
        ),
        Scenario(
            "gaming_banter",
            _anyone,
            (
                (0, "banter", ("banter", "react", "c_resist")),
                (1, "banter", ("banter", "react")),
                (0, "ask_age", ("say_age", "refuse")),
                (0, "move_app", ("agree", "refuse", "unsure")),
                (0, "gift", ("thanks", "react")),
                (0, "compliment", ("thanks", "banter")),
                (0, "g_mentor", ("agree", "react", "refuse")),
                (0, "ask_where", ("say_where",)),
                (1, "change_subject", ("tell", "react")),
            ),
        ),
        Scenario(
            "friends_photos",
            _adults,
            (
                (0, "ask_photo", ("send_photo", "unsure")),
                (1, "send_photo", ("react", "compliment")),
                (1, "delete_it", ("agree", "react", "refuse")),
                (0, "compliment", ("thanks", "react")),
                (0, "arrange_meet", ("agree", "unsure")),
                (0, "gift", ("thanks",)),
                (0, "adult_ask", ("adult_tell", "tell")),
            ),
        ),
        Scenario(
            "customer_support",
            _adults,
            (
                (0, "support_ask", ("support_answer",)),
                (0, "support_info", ("thanks", "agree")),
                (1, "unsure", ("support_info",)),
            ),
            register="formal",
        ),
        Scenario(
            "new_acquaintances",
            _strangers,
            (
                (0, "ask_age", ("say_age",)),
                (0, "ask_where", ("say_where", "unsure")),
                (0, "g_friend", ("tell", "story", "react", "c_open")),
                (1, "g_friend", ("tell", "story")),
                (0, "ask", ("story", "tell")),
                (1, "ask", ("story", "tell")),
                (0, "compliment", ("thanks", "react")),
                (0, "move_app", ("agree", "unsure", "refuse")),
                (0, "change_subject", ("tell", "story")),
                (0, "life_talk", ("life_talk", "react", "story")),
                (0, "adult_ask", ("adult_tell", "tell")),
                (1, "adult_ask", ("adult_tell", "story")),
            ),
        ),
        Scenario(
            "drifting_chat",
            _strangers,
            (
                (0, "nudge", ("hello", "react", "brb", "fine", "adult_tell")),
                (1, "nudge", ("hello", "react", "brb")),
                (0, "howru", ("fine", "react", "howru")),
                (1, "hello", ("hello", "howru", "react")),
                (0, "ask", ("tell", "unsure", "react")),
                (1, "adult_ask", ("adult_tell", "unsure")),
                (0, "brb", ("agree", "react")),
                (1, "react", ("react", "agree")),
            ),
        ),
        Scenario(
            "adults_chatting",
            _strangers,
            (
                (0, "adult_ask", ("adult_tell", "tell", "unsure")),
                (1, "adult_ask", ("adult_tell", "story")),
                (0, "adult_tell", ("adult_tell", "react", "adult_ask", "agree")),
                (1, "adult_tell", ("adult_tell", "react", "adult_ask")),
                (0, "life_talk", ("life_talk", "react", "adult_tell")),
                (0, "ask", ("tell", "adult_tell", "story")),
                (1, "change_subject", ("adult_tell", "tell")),
            ),
            register="formal",
        ),
        Scenario(
            "chat_room",
            _strangers,
            (
                (0, "room_chat", ("room_chat", "react", "hello")),
                (1, "room_chat", ("room_chat", "react")),
                (0, "room_chat", ("room_chat", "react", "banter")),
                (1, "room_chat", ("room_chat", "hello", "flirt")),
                (0, "ask_where", ("say_where", "room_chat")),
                (0, "flirt", ("react", "room_chat", "flirt")),
                (1, "banter", ("room_chat", "react")),
                *((i % 2, "room_chat", ("room_chat", "react", "hello")) for i in range(8)),
            ),
            # a public room is mostly its own chatter: the room lines are the scenario, and a
            # real room's window of ten lines shows a cue a third as often as an offender's
            share=(0.6, 0.9),
            register="room",
        ),
        Scenario(
            "chitchat",
            _anyone,
            (
                (0, "ask", ("tell", "story", "life_talk")),
                (0, "life_talk", ("life_talk", "react", "tell", "ask")),
                (1, "life_talk", ("life_talk", "react", "story")),
                (0, "tell", ("tell", "react", "ask")),
                (1, "tell", ("react", "tell")),
                (1, "change_subject", ("tell", "story")),
            ),
            register="formal",
        ),
    )
}


def benign_script(rng: random.Random, scenario: Scenario, n: int) -> list[Turn]:
    """Exactly ``n`` turns of one benign conversation."""
    first = 0 if rng.random() < 0.7 else 1
    start = opening(rng, first)
    start, end = edges(start, closing(rng, rng.randrange(2)), n)
    target = max(2, n - len(start) - len(end))
    share = move_share(rng, scenario.share) if scenario.beats else 0.0
    style = reply_style(rng)
    middle: list[Turn] = []
    while len(middle) < target:
        if not scenario.beats or (len(middle) >= OPENING_MOVES * 2 and rng.random() >= share):
            middle += small_talk(rng, rng.randrange(2))
            continue
        speaker, move, replies = pick(rng, scenario.beats)
        middle += [Turn(speaker, move), Turn(1 - speaker, styled_reply(rng, style, replies)[1])]
        if rng.random() < ACKNOWLEDGE:
            middle.append(Turn(speaker, pick(rng, ACKS)))
    return fit(middle, start, end, n)
