"""Request and response bodies of the JSON API; they are also what /docs and the fuzzer see.

Every string that becomes a database column or a lookup key has the same limits on every
backend, checked here before anything is stored: at most the column's size, and no NUL
character (PostgreSQL's text types cannot hold one, SQLite's can, so without this check the
same request is a 422 on one backend and a 500 on the other). Constrained strings also refuse
lone UTF-16 surrogates; message text is checked for them at the record boundary.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Role = Literal["child", "adult", "unknown"]
#: ``reviews.conversation_id`` is VARCHAR(500); stream IDs become conversation IDs.
MAX_ID_CHARS = 500
NO_NUL = r"^[^\x00]*$"


def identifier(max_length: int, min_length: int = 1) -> StringConstraints:
    """A string of ``min_length`` to ``max_length`` characters without NUL."""
    return StringConstraints(min_length=min_length, max_length=max_length, pattern=NO_NUL)


ConversationId = Annotated[str, identifier(MAX_ID_CHARS)]
AuthorId = Annotated[str, identifier(200)]


class ParticipantIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    author_id: AuthorId
    role: Role = "unknown"


class MessageIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    author_id: AuthorId
    text: str
    timestamp: Annotated[str, identifier(64)] | None = Field(default=None,
                                                             description="ISO 8601")


class ConversationIn(BaseModel):
    """One conversation record (the groomwatch record format; unknown keys are dropped)."""

    model_config = ConfigDict(extra="ignore")
    conversation_id: ConversationId
    participants: list[ParticipantIn]
    messages: list[MessageIn]
    language: Annotated[str, identifier(20, min_length=0)] | None = None
    platform: Annotated[str, identifier(100, min_length=0)] | None = None


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    conversations: list[ConversationIn]


class ScoreResult(BaseModel):
    conversation_id: str
    score: float
    threshold: float
    flagged: bool
    review_id: int | None = Field(description="set when the conversation was stored for review")
    contributions: list[float] | None = Field(
        description="each message's contribution to the score (flagged, or with explain=true)"
    )


class ScoreResponse(BaseModel):
    results: list[ScoreResult]


class StreamMessageIn(MessageIn):
    role: Role = Field(default="unknown", description="the author's role, if known")


class StreamResult(BaseModel):
    conversation_id: str
    score: float
    warned: bool
    review_id: int | None
    messages_kept: int


class Stats(BaseModel):
    model_config = ConfigDict(extra="allow")
    flags: int
    scored: int
    decisions_by_outcome: dict[str, int]
    downstream_precision: float | None
    mean_hours_to_decision: float | None
    reversal_rate: float | None
    double_reviewed: int
    cohen_kappa: float | None
