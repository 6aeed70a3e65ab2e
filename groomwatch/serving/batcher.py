"""Dynamic batching: concurrent score requests share one detector call and one commit.

Each request costs the detector a fixed overhead on top of its per-conversation work, and each
request with a flag costs a database commit. One scoring thread takes every request waiting
at that moment, scores them together and commits their flags in one transaction, so under
load the overheads are paid once per batch, not once per request. A lone request is scored at
once: nothing waits for a batch to fill. The event loop never runs the detector, so a slow
detector delays answers but never blocks the server.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from typing import Any

from groomwatch.serving.scoring import ScoreJob, Scorer

_STOP = None


class _Pending:
    """A job and where its answer goes: a future owned by the caller's event loop."""

    def __init__(self, job: ScoreJob) -> None:
        self.job = job
        self.loop = asyncio.get_running_loop()
        self.future: asyncio.Future[list[dict[str, Any]]] = self.loop.create_future()

    def resolve(self, result: list[dict[str, Any]] | None, error: BaseException | None) -> None:
        self.loop.call_soon_threadsafe(self._settle, result, error)

    def _settle(self, result: list[dict[str, Any]] | None, error: BaseException | None) -> None:
        if self.future.done():  # the client went away; its flags are committed all the same
            return
        if error is not None:
            self.future.set_exception(error)
        else:
            self.future.set_result(result)


class ScoringBatcher:
    """Feeds a :class:`Scorer` from one thread, merging whatever requests are waiting."""

    def __init__(self, scorer: Scorer, max_conversations: int = 256) -> None:
        self.scorer = scorer
        self.max_conversations = max_conversations
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    async def score(self, job: ScoreJob) -> list[dict[str, Any]]:
        """The job's results, answered once its flags are committed."""
        self._start()
        pending = _Pending(job)
        self._queue.put(pending)
        return await pending.future

    def close(self) -> None:
        """Finish the requests already waiting, then stop the thread."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(_STOP)
            thread.join()

    def _start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="groomwatch-scoring",
                                                daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while (first := self._queue.get()) is not _STOP:
            batch, stop = self._take_waiting(first)
            self._score(batch)
            if stop:
                return

    def _take_waiting(self, first: _Pending) -> tuple[list[_Pending], bool]:
        """``first`` and the requests queued behind it, up to ``max_conversations``."""
        batch, size = [first], len(first.job.conversations)
        while size < self.max_conversations:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is _STOP:
                return batch, True
            batch.append(item)
            size += len(item.job.conversations)
        return batch, False

    def _score(self, batch: list[_Pending]) -> None:
        try:
            results = self.scorer.score([p.job for p in batch])
        except Exception as error:  # every waiting request must get an answer
            if len(batch) == 1:
                batch[0].resolve(None, error)
                return
            # One request can break the detector or the commit for everyone merged with it:
            # score each alone, so only the request at fault gets the error. Nothing of the
            # failed batch was committed (one transaction), so nothing is stored twice.
            for pending in batch:
                self._score([pending])
            return
        for pending, result in zip(batch, results, strict=True):
            pending.resolve(result, None)
