"""Put it together: plan who talks to whom, script each conversation, word it, add surface noise.

Determinism: one planning RNG seeded from the config's seed decides labels, languages,
offender personas and scenarios; each conversation then gets its own RNG seeded from the seed
and its index, so the same config always gives the same records, in the same order.
"""

from __future__ import annotations

import gc
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from groomwatch.data.record import Conversation, Message
from groomwatch.data.synth import personas, surface
from groomwatch.data.synth.benign import SCENARIOS, benign_script
from groomwatch.data.synth.config import SynthConfig
from groomwatch.data.synth.grammar import Grammar, load_grammar
from groomwatch.data.synth.grooming import grooming_script
from groomwatch.data.synth.personas import OffenderProfile, Persona

#: Bumped whenever the same seed and config give different conversations (2.0: everyday adult
#: talk, drifting chats, grooming moves among small talk, compiled grammar tables; 3.0: no
#: redaction tokens by default, non-explicit steering language, personas that keep their facts,
#: offenders who keep their style, multi-day restarts, cue rates set against real chat; 3.1:
#: offenders acknowledge answers and spend less of the chat on their agenda, as real offender
#: windows do, and each kind of chat is typed in its own register: instant messages, chat rooms
#: or adults' everyday chat, with their own capitals, "!" and laughs; 3.2: English offender lines
#: use "it", "what", "and", "but" and "want" nearer real offender rates: without them a detector
#: learnt those everyday words as signs of benign chat; 3.3: look-alikes spend less of the chat
#: on their topic and bare acknowledgements are rarer, in every language; offenders of the
#: other five languages put two moves in a quarter of their messages, as English ones do, and
#: fewer look-alike lines there name a photo).
GENERATOR_VERSION = "3.3"
SOURCE = "groomwatch-synth"


@dataclass(frozen=True)
class _Slot:
    """What the plan fixes for one conversation before it is written."""

    language: str
    offender: OffenderProfile | None
    scenario: str | None


def _weighted(rng: random.Random, weights: dict[str, float]) -> str:
    names = sorted(weights)
    return rng.choices(names, weights=[weights[n] for n in names])[0]


def _plan(config: SynthConfig) -> list[_Slot]:
    rng = random.Random(f"groomwatch-synth-plan:{config.seed}")
    positives = round(config.n * config.prevalence)
    labels = [1] * positives + [0] * (config.n - positives)
    rng.shuffle(labels)
    offenders: list[OffenderProfile] = []
    while len(offenders) < positives:
        profile = personas.offender(
            rng,
            rng.choice(config.languages),
            _weighted(rng, config.strategies),
            rng.random() < config.fast_escalation,
        )
        extra = config.conversations_per_offender - 1
        count = 1 + (int(rng.expovariate(1 / extra)) if extra > 0 else 0)
        offenders += [profile] * count
    pending = iter(offenders)
    slots = []
    for label in labels:
        if label:
            profile = next(pending)
            slots.append(_Slot(profile.language, profile, None))
        else:
            slots.append(
                _Slot(rng.choice(config.languages), None, _weighted(rng, config.scenarios))
            )
    return slots


def _conversation(config: SynthConfig, index: int, slot: _Slot) -> Conversation:
    rng = random.Random(f"groomwatch-synth:{config.seed}:{index}")
    grammar = load_grammar(slot.language, config.redaction_tokens)
    n = surface.message_count(rng, config)
    register = "im"
    if slot.offender is not None:
        cast: tuple[Persona, Persona] = (slot.offender.persona, personas.child(rng))
        turns = grooming_script(rng, slot.offender, n, grammar.double_moves)
        meta = {
            "scenario": "grooming",
            "strategy": slot.offender.strategy,
            "escalation": "fast" if slot.offender.fast else "slow",
        }
    else:
        scenario = SCENARIOS[slot.scenario]
        register = scenario.register
        cast = scenario.cast(rng)
        turns = benign_script(rng, scenario, n)
        meta = {"scenario": scenario.name}
    styles = [_style(rng, person, config, register, grammar) for person in cast]
    facts = [_facts(person, grammar) for person in cast]
    contexts = [
        {**mine, "OTHER": theirs["SELF"], "OTOWN": theirs["TOWN"], "OPETNAME": theirs["PETNAME"]}
        for mine, theirs in (facts, facts[::-1])
    ]
    platform = surface.platform(rng, config)
    restarts = {i for i, turn in enumerate(turns) if turn.move == "restart" and i}
    stamps = surface.timestamps(rng, len(turns), platform, restarts)
    authors = [person.author_id for person in cast]
    expand, render = grammar.expand, surface.render  # looked up once, used for every message
    messages = [
        Message(
            author_id=authors[turn.speaker],
            text=render(
                _wording(expand, turn.move, rng, contexts[turn.speaker]),
                rng,
                styles[turn.speaker],
                grammar,
            ),
            timestamp=stamp,
            grooming=turn.grooming,
            stage=turn.stage,
        )
        for turn, stamp in zip(turns, stamps, strict=True)
    ]
    return Conversation(
        conversation_id=f"synth-{config.seed}-{index:06d}",
        participants=[p.participant() for p in cast],
        messages=messages,
        label=int(slot.offender is not None),
        language=slot.language,
        source=SOURCE,
        platform=platform,
        meta={**meta, "generator": GENERATOR_VERSION},
    )


def _wording(expand: Callable[..., str], move: str, rng: random.Random, context: dict) -> str:
    """One move's wording; ``a+b`` (two moves typed as one message) joins both."""
    if "+" not in move:
        return expand(move, rng, context)
    return " ".join(expand(part, rng, context) for part in move.split("+"))


def _facts(person: Persona, grammar: Grammar) -> dict[str, str]:
    """What a persona says about itself, the same in every message and every conversation it
    has: drawn from an RNG seeded by the persona's ID, not the conversation's."""
    rng = random.Random(f"facts:{person.author_id}")
    expand = grammar.expand
    return {
        "SELF": str(person.stated_age),
        "TOWN": expand("town", rng),
        "SCHOOL": expand("school_name", rng),
        "GRADE": str(max(1, person.stated_age - 5)),
        "PETKIND": expand("pet_kind", rng),
        "PETNAME": expand("pet_name", rng),
        # an offender's habitual pet name for the child, or none
        "DEAR": expand("dear", rng) if person.offender and rng.random() < 0.75 else "",
    }


def _style(
    rng: random.Random, person: Persona, config: SynthConfig, register: str, grammar: Grammar
) -> surface.WriterStyle:
    """A writer's typing habits; an offender keeps theirs across all their conversations."""
    if person.offender:
        rng = random.Random(f"style:{person.author_id}")
    laugh = grammar.laugh(rng, register)
    return surface.writer_style(rng, config.noise, person.role == "child", register, laugh)


def iter_conversations(config: SynthConfig) -> Iterator[Conversation]:
    """Conversations one at a time, in a fixed order, for progress reporting and low memory."""
    for index, slot in enumerate(_plan(config)):
        yield _conversation(config, index, slot)


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while records pile up.

    Records hold no reference cycles, yet every collection rescans all the messages kept so far:
    for a 20,000-conversation run that was about a quarter of the generation time.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def generate(config: SynthConfig) -> list[Conversation]:
    """All conversations of a config; the same config always gives the same list."""
    with paused_gc():
        return list(iter_conversations(config))
