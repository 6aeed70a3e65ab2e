"""The versioned JSON API under /v1: scoring, streaming, stats and report export."""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from groomwatch.data.record import RecordError, conversation_from_dict
from groomwatch.serving import reports, stats
from groomwatch.serving.auth import Principal, authenticate, require
from groomwatch.serving.limits import to_conversation
from groomwatch.serving.schemas import (
    MAX_ID_CHARS,
    NO_NUL,
    BatchIn,
    ConversationIn,
    ScoreResponse,
    Stats,
    StreamMessageIn,
    StreamResult,
)
from groomwatch.serving.scoring import ScoreJob

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "no or unknown API key / session"},
    403: {"description": "role not allowed"},
    413: {"description": "body, batch or conversation too large"},
    422: {"description": "malformed request; the detail says which field"},
    429: {"description": "rate limit exceeded"},
}
router = APIRouter(prefix="/v1", responses=ERRORS)


async def _client(request: Request) -> Principal:
    """An API client within its rate limit (one dependency, not two: this runs per message)."""
    principal = await authenticate(request, ("client",))
    await request.app.state.rate_limiter.acheck(principal.name)
    return principal


Client = Annotated[Principal, Depends(_client)]
Overseer = Annotated[Principal, Depends(require("auditor", "lead", "admin"))]
#: A stream's ID is the conversation ID its review is stored under: the same limits.
StreamId = Annotated[str, Path(min_length=1, max_length=MAX_ID_CHARS, pattern=NO_NUL)]


def _unique_ids(items: list[ConversationIn]) -> None:
    """One batch names each conversation once: two items with one ID would make two reviews
    of one conversation, and their results could not be told apart."""
    repeated = [cid for cid, n in Counter(i.conversation_id for i in items).items() if n > 1]
    if repeated:
        shown = ", ".join(repr(cid) for cid in repeated[:5])
        raise HTTPException(422, f"conversation_id repeated within the batch: {shown}")


@router.post("/conversations/score", response_model=ScoreResponse, tags=["scoring"])
async def score(
    request: Request,
    body: Annotated[BatchIn | ConversationIn, Body()],
    principal: Client,
    explain: Annotated[bool, Query(description="contributions for unflagged ones too")] = False,
) -> JSONResponse:
    """Score one conversation or a batch. Flagged ones are stored and queued (``review_id``);
    unflagged ones are never written anywhere. Answers only after the flags are committed.
    Per-message contributions come with every flagged conversation (and, with ``explain``,
    with every conversation)."""
    settings = request.app.state.settings
    items = body.conversations if isinstance(body, BatchIn) else [body]
    if not items:
        raise HTTPException(422, "conversations must not be empty")
    if len(items) > settings.max_batch:
        raise HTTPException(413, f"batch of {len(items)} conversations; "
                                 f"the limit is {settings.max_batch}")
    _unique_ids(items)
    job = ScoreJob(principal.name, [to_conversation(item, settings) for item in items], explain)
    # JSONResponse, not FastAPI's response_model check: the results are built by this code, and
    # validating them again on every request would only cost time (the model is for /docs).
    return JSONResponse({"results": await request.app.state.batcher.score(job)})


@router.post("/streams/{conversation_id}/messages", response_model=StreamResult,
             tags=["streaming"])
async def stream_message(
    request: Request, conversation_id: StreamId, body: StreamMessageIn,
    principal: Client,
) -> JSONResponse:
    """Append one message to a live conversation. The recent window is kept in memory only;
    when early warning fires, the conversation so far is stored and queued (once)."""
    settings = request.app.state.settings
    if len(body.text) > settings.max_message_chars:
        raise HTTPException(413, f"text is longer than {settings.max_message_chars} characters")
    try:
        record = conversation_from_dict({
            "conversation_id": conversation_id,
            "participants": [{"author_id": body.author_id, "role": body.role}],
            "messages": [{"author_id": body.author_id, "text": body.text,
                          "timestamp": body.timestamp}],
        })
    except RecordError as exc:  # named as the request names it: the record holds one message
        raise HTTPException(422, f"{exc.path.rsplit('.', 1)[-1]} {exc.problem}") from None
    # In a worker thread, not on the event loop: a warning commits to the database and the
    # stream counters are flushed now and then, and a database held by another writer (SQLite's
    # lock, a slow PostgreSQL) must delay only this answer, never every other request.
    return JSONResponse(await run_in_threadpool(
        request.app.state.streams.push, principal.name, conversation_id, record.messages[0],
        body.role))


@router.delete("/streams/{conversation_id}", status_code=204, tags=["streaming"])
async def end_stream(request: Request, conversation_id: StreamId,
               principal: Client) -> None:
    """End a stream and drop everything kept in memory for it."""
    if not request.app.state.streams.drop(principal.name, conversation_id):
        raise HTTPException(404, f"no open stream {conversation_id!r}")


@router.get("/stats", response_model=Stats, tags=["review"])
def get_stats(request: Request,
              _: Overseer) -> dict[str, Any]:
    """Flags, decisions, downstream precision, time to decision, reversal rate and agreement."""
    request.app.state.counts.flush(force=True)
    return stats.read(request.app.state.db)


@router.post("/reports", tags=["review"])
def export_reports(request: Request,
                   principal: Overseer) -> list[dict[str, Any]]:
    """One structured report record per confirmed flag. A POST, since the export writes an
    audit entry: no prefetch or link preview can trigger one."""
    return reports.export(request.app.state.db, request.app.state.settings, principal.name)
