"""The figures an annual error report needs, computed from the review log alone."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sklearn.metrics import cohen_kappa_score
from sqlalchemy import select
from sqlalchemy.orm import Session

from groomwatch.serving import counters
from groomwatch.serving.db import CONFIRMED, DISMISSED, Database, Decision, Review
from groomwatch.serving.decisions import VERDICTS

FINAL = (CONFIRMED, DISMISSED)


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def _kappa(pairs: list[tuple[str, str]]) -> float | None:
    """Cohen's kappa on (first, second) verdicts; undefined when one label is all there is."""
    if len({label for pair in pairs for label in pair}) < 2:
        return None
    first, second = zip(*pairs, strict=True)
    return float(cohen_kappa_score(first, second))


def compute(session: Session) -> dict[str, Any]:
    totals = counters.read_all(session)
    reviews = session.execute(
        select(Review.id, Review.status, Review.created_at, Review.decided_at)
    ).all()
    verdicts: dict[int, list[tuple[int, str]]] = defaultdict(list)
    outcomes: dict[str, int] = dict.fromkeys(("confirm", "dismiss", "escalate"), 0)
    for review_id, user_id, outcome in session.execute(
        select(Decision.review_id, Decision.user_id, Decision.outcome).order_by(Decision.id)
    ):
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        if outcome in VERDICTS:
            verdicts[review_id].append((user_id, outcome))

    final = {rid: status for rid, status, _, _ in reviews if status in FINAL}
    hours = [(decided - created).total_seconds() / 3600
             for _, status, created, decided in reviews if status in FINAL and decided]
    # Second review: the item has a first verdict and a later, different reviewer's verdict.
    pairs = [(v[0][1], v[1][1]) for v in verdicts.values() if len(v) >= 2 and v[0][0] != v[1][0]]
    reviewed_again = [rid for rid, v in verdicts.items() if len(v) >= 2 and rid in final]
    reversed_ = [rid for rid in reviewed_again if final[rid] != VERDICTS[verdicts[rid][0][1]]]
    confirmed = sum(1 for s in final.values() if s == CONFIRMED)
    return {
        "flags": len(reviews),
        "scored": totals.get(counters.SCORED, 0),
        "stream_messages": totals.get(counters.STREAM_MESSAGES, 0),
        "stream_warnings": totals.get(counters.STREAM_WARNINGS, 0),
        "open": len(reviews) - len(final),
        "final_outcomes": {"confirmed": confirmed, "dismissed": len(final) - confirmed},
        "decisions_by_outcome": outcomes,
        "downstream_precision": _ratio(confirmed, len(final)),
        "mean_hours_to_decision": _ratio(sum(hours), len(hours)),
        "reversal_rate": _ratio(len(reversed_), len(reviewed_again)),
        "double_reviewed": len(pairs),
        "cohen_kappa": _kappa(pairs),
    }


def read(db: Database) -> dict[str, Any]:
    with db.reading() as session:
        return compute(session)
