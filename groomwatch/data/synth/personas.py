"""The people in a synthetic conversation: who they are, how old, and whether they offend."""

from __future__ import annotations

import random
from dataclasses import dataclass

from groomwatch.data.record import Participant

CHILD_AGES = (10, 16)


@dataclass(frozen=True)
class Persona:
    author_id: str
    role: str  # "child", "adult" or "unknown", as in the record format
    age: int
    offender: bool = False
    #: the age an offender pretending to be a peer gives; None when they do not lie about it
    claimed_age: int | None = None

    @property
    def stated_age(self) -> int:
        return self.claimed_age if self.claimed_age is not None else self.age

    def participant(self) -> Participant:
        extra: dict[str, int] = {"age": self.age}
        if self.claimed_age is not None:
            extra["claimed_age"] = self.claimed_age
        return Participant(self.author_id, self.role, self.offender, extra)


@dataclass(frozen=True)
class OffenderProfile:
    """One offender persona: shared by all the conversations it has with different children."""

    persona: Persona
    language: str
    strategy: str
    fast: bool


def author_id(rng: random.Random) -> str:
    """A pseudonymous handle-like ID; 48 random bits make collisions negligible."""
    return f"u{rng.getrandbits(48):012x}"


def child(rng: random.Random, low: int = CHILD_AGES[0], high: int = CHILD_AGES[1]) -> Persona:
    return Persona(author_id(rng), "child", rng.randint(low, high))


def adult(rng: random.Random, low: int = 19, high: int = 60) -> Persona:
    return Persona(author_id(rng), "adult", rng.randint(low, high))


def offender(rng: random.Random, language: str, strategy: str, fast: bool) -> OffenderProfile:
    age = rng.randint(20, 62)
    claimed = rng.randint(13, 17) if strategy == "peer_pretence" else None
    persona = Persona(author_id(rng), "adult", age, offender=True, claimed_age=claimed)
    return OffenderProfile(persona, language, strategy, fast)
