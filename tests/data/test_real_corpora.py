"""The importers on the real corpora as published (slow; skipped when the folder is absent).

``../shared/datasets`` (or ``$GROOMWATCH_DATASETS``) holds the Perverted-Justice logs as
cleansed by Koutli (2023) and the NPS Chat rooms. Only counts and structure are asserted: no
corpus text is printed, compared or stored.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from groomwatch.data.importers.nps import AGE_BANDS, iter_nps
from groomwatch.data.importers.pj import iter_pj, pair_files
from groomwatch.data.window import windows

DATASETS = Path(
    os.environ.get("GROOMWATCH_DATASETS") or Path(__file__).parents[3] / "shared" / "datasets"
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (DATASETS / "pj").is_dir() or not (DATASETS / "nps_chat").is_dir(),
        reason=f"real corpora absent: {DATASETS} (set GROOMWATCH_DATASETS)",
    ),
]


def test_pj_as_published_gives_one_record_per_offender() -> None:
    pairs = pair_files(DATASETS / "pj")
    assert pairs.orphan_officers == [] and pairs.lone_predators == []
    warnings: list[str] = []
    offenders = set()
    count = 0
    for conv in iter_pj(DATASETS / "pj", warn=warnings.append):
        count += 1
        (offender,) = [p for p in conv.participants if p.offender]
        assert offender.role == "adult" and len(conv.participants) >= 2
        assert all(p.role == "child" for p in conv.participants if not p.offender)
        assert conv.label == 1 and "turn_order" in conv.meta
        offenders.add(offender.author_id)
    assert warnings == []
    assert count == len(offenders) == len(list((DATASETS / "pj" / "predators").iterdir()))


def test_nps_rooms_and_one_author_windows() -> None:
    sessions = list(iter_nps(DATASETS / "nps_chat"))
    assert len(sessions) == len(list((DATASETS / "nps_chat").glob("*.xml")))
    for conv in sessions:
        assert conv.label == 0 and conv.platform == "chatroom"
        bands = {p.extra["age_band"] for p in conv.participants}
        assert len(bands) == 1 and bands <= set(AGE_BANDS)
        assert {p.role for p in conv.participants} == {
            "unknown" if bands == {"teens"} else "adult"
        }
        posts = (DATASETS / "nps_chat" / f"{conv.conversation_id[4:]}.xml").read_bytes()
        assert len(conv.messages) + conv.meta["room_events_left_out"] == posts.count(b"<Post ")
        assert not any("\t" in m.text for m in conv.messages)  # no terminals in the text
        cut = windows(conv, 10, by="author")
        assert all(len(w.participants) == 1 and len(w.messages) <= 10 for w in cut)
        assert sum(len(w.messages) for w in cut) == len(conv.messages)
        assert [w.to_dict() for w in windows(conv, 10, by="author")] == [
            w.to_dict() for w in cut
        ]
