"""Request and response bodies of the JSON API; they are also what /docs and the fuzzer see."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Role = Literal["child", "adult", "unknown"]


class ParticipantIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    author_id: str = Field(min_length=1, max_length=200)
    role: Role = "unknown"


class MessageIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    author_id: str = Field(min_length=1, max_length=200)
    text: str
    timestamp: str | None = Field(default=None, description="ISO 8601")


class ConversationIn(BaseModel):
    """One conversation record (the groomwatch record format; unknown keys are dropped)."""

    model_config = ConfigDict(extra="ignore")
    conversation_id: str = Field(min_length=1, max_length=500)
    participants: list[ParticipantIn]
    messages: list[MessageIn]
    language: str | None = Field(default=None, max_length=20)
    platform: str | None = Field(default=None, max_length=100)


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
