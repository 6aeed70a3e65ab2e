"""Dynamic batching: concurrent requests share detector calls and commits; each gets its answer."""

from __future__ import annotations

import asyncio
import threading

import pytest

from groomwatch.serving.batcher import ScoringBatcher
from groomwatch.serving.db import Review
from groomwatch.serving.scoring import ScoreJob


class GatedScorer:
    """Wraps the app's scorer: the first call waits at a gate, so requests pile up behind it."""

    def __init__(self, scorer) -> None:
        self.scorer = scorer
        self.entered = threading.Event()
        self.gate = threading.Event()
        self.calls: list[list[str]] = []

    def score(self, jobs):
        self.entered.set()
        self.gate.wait(timeout=10)
        self.calls.append([job.client for job in jobs])
        return self.scorer.score(jobs)


def _jobs(records, n: int) -> list[ScoreJob]:
    convs = records(2 * n, seed=5)
    return [ScoreJob(f"client-{i}", convs[2 * i: 2 * i + 2]) for i in range(n)]


async def _score_all(batcher: ScoringBatcher, jobs: list[ScoreJob], scorer: GatedScorer):
    """The first job is taken and held at the gate; the others queue behind it."""
    tasks = [asyncio.create_task(batcher.score(jobs[0]))]
    while not scorer.entered.is_set():
        await asyncio.sleep(0.001)
    tasks += [asyncio.create_task(batcher.score(job)) for job in jobs[1:]]
    await asyncio.sleep(0.05)  # let every task put its job on the queue
    scorer.gate.set()
    return await asyncio.gather(*tasks, return_exceptions=True)


def test_waiting_requests_are_scored_together_and_answered_separately(app, records):
    scorer = GatedScorer(app.state.batcher.scorer)
    batcher = ScoringBatcher(scorer)
    jobs = _jobs(records, 6)
    try:
        answers = asyncio.run(_score_all(batcher, jobs, scorer))
    finally:
        batcher.close()
    # the first request alone, then the five that queued behind it in one call
    assert scorer.calls == [["client-0"], [f"client-{i}" for i in range(1, 6)]]
    expected = scorer.scorer.detector.predict_proba([c for j in jobs for c in j.conversations])
    for job, answer in zip(jobs, answers, strict=True):
        ids = [c.conversation_id for c in job.conversations]
        assert [r["conversation_id"] for r in answer] == ids
    scores = [r["score"] for answer in answers for r in answer]
    assert scores == pytest.approx(list(expected), abs=1e-12)
    flagged = [r for answer in answers for r in answer if r["flagged"]]
    assert flagged, "the fixture's grooming chats should be flagged"
    with app.state.db.transaction() as session:
        owners = {session.get(Review, r["review_id"]).client for r in flagged}
        conversations = {session.get(Review, r["review_id"]).conversation_id for r in flagged}
    assert conversations == {r["conversation_id"] for r in flagged}
    assert owners <= {job.client for job in jobs} and len(owners) > 1


def test_every_waiting_request_gets_the_error_when_scoring_fails(app, records):
    class Broken(GatedScorer):
        def score(self, jobs):
            self.entered.set()
            self.gate.wait(timeout=10)
            raise RuntimeError("database went away")

    scorer = Broken(app.state.batcher.scorer)
    batcher = ScoringBatcher(scorer)
    try:
        answers = asyncio.run(_score_all(batcher, _jobs(records, 4), scorer))
    finally:
        batcher.close()
    assert [str(a) for a in answers] == ["database went away"] * 4


def test_a_batch_never_exceeds_the_conversation_limit(app, records):
    scorer = GatedScorer(app.state.batcher.scorer)
    batcher = ScoringBatcher(scorer, max_conversations=4)  # two jobs of two conversations
    try:
        asyncio.run(_score_all(batcher, _jobs(records, 5), scorer))
    finally:
        batcher.close()
    assert [len(call) for call in scorer.calls] == [1, 2, 2]
