"""Batch scoring: flags are stored and queued, unflagged conversations leave no trace but counts."""

from __future__ import annotations

import json

from sqlalchemy import inspect, text

from groomwatch.serving.db import Review


def _dump_every_table(app) -> str:
    """Every row of every table as text, to search for traces of a conversation."""
    engine = app.state.db.engine
    rows = []
    with engine.connect() as connection:
        for table in inspect(engine).get_table_names():
            rows += [repr(tuple(r)) for r in connection.execute(text(f"SELECT * FROM {table}"))]
    return "\n".join(rows)


def test_flagged_conversation_is_stored_and_queued(client, app, chat):
    answer = client.post("/v1/conversations/score", json=chat(1, grooming=True))
    assert answer.status_code == 200, answer.text
    (result,) = answer.json()["results"]
    assert result["flagged"] and result["score"] >= result["threshold"]
    assert len(result["contributions"]) == 30
    with app.state.db.transaction() as session:
        review = session.get(Review, result["review_id"])
        assert review.status == "queued" and review.client == "provider-a"
        assert len(review.content["messages"]) == 30
        assert review.content["participants"][1] == {"author_id": "b", "role": "child"}


def test_unflagged_conversations_are_never_written_anywhere(client, app, chat, secret_word):
    before = _dump_every_table(app)
    batch = {"conversations": [chat(i, grooming=False, seed=9) for i in range(5)]}
    answer = client.post("/v1/conversations/score", json=batch)
    assert answer.status_code == 200
    assert not any(r["flagged"] for r in answer.json()["results"])
    app.state.counts.flush(force=True)  # counts are buffered for up to a second
    after = _dump_every_table(app)
    assert secret_word not in after and "b9-" not in after
    scored = [line for line in after.splitlines() if "conversations_scored" in line]
    assert scored == ["('conversations_scored', 5)"]
    assert len(after.splitlines()) == len(before.splitlines())  # counters changed, no new rows


def test_batch_keeps_order_and_flags_only_grooming(client, chat):
    batch = {"conversations": [chat(i, grooming=i % 3 == 0, seed=4) for i in range(9)]}
    results = client.post("/v1/conversations/score", json=batch).json()["results"]
    assert [r["conversation_id"] for r in results] == [c["conversation_id"]
                                                       for c in batch["conversations"]]
    assert [r["flagged"] for r in results] == [i % 3 == 0 for i in range(9)]
    assert all((r["review_id"] is not None) == r["flagged"] for r in results)


def test_contributions_point_at_the_grooming_lines(client, chat):
    result = client.post("/v1/conversations/score", json=chat(2, grooming=True)).json()
    contributions = result["results"][0]["contributions"]
    grooming_side = sum(contributions[0::2]) / 15
    small_talk_side = sum(contributions[1::2]) / 15
    assert grooming_side > small_talk_side


def test_contributions_of_unflagged_conversations_only_on_request(client, chat):
    url = "/v1/conversations/score"
    (plain,) = client.post(url, json=chat(3, grooming=False)).json()["results"]
    assert not plain["flagged"] and plain["contributions"] is None
    (explained,) = client.post(f"{url}?explain=true", json=chat(3, False)).json()["results"]
    assert len(explained["contributions"]) == 30
    assert explained["score"] == plain["score"] and explained["review_id"] is None


def test_bad_requests_get_a_4xx_with_a_reason(client, app, chat, secret_word):
    url = "/v1/conversations/score"
    headers = {"content-type": "application/json"}
    answer = client.post(url, content=b"{not json", headers=headers)
    assert answer.status_code == 422 and "json" in answer.text.lower()
    missing = chat(1, grooming=True)
    del missing["participants"]
    answer = client.post(url, json=missing)
    assert answer.status_code == 422 and "participants" in answer.text
    stranger = chat(1, grooming=True)
    stranger["messages"][3]["author_id"] = "zz"
    answer = client.post(url, json=stranger)
    assert answer.status_code == 422 and "messages[3].author_id" in answer.json()["detail"]
    long = chat(1, grooming=True, n_messages=app.state.settings.max_messages + 1)
    answer = client.post(url, json=long)
    assert answer.status_code == 413 and "messages" in answer.json()["detail"]
    huge = json.dumps(chat(1, True)).replace(secret_word, "x" * 2_100_000, 1)
    answer = client.post(url, content=huge.encode(), headers=headers)
    assert answer.status_code == 413 and "larger than" in answer.json()["detail"]
    answer = client.post(url, json={"conversations": [chat(i, False) for i in range(101)]})
    assert answer.status_code == 413 and "limit is 100" in answer.json()["detail"]
    assert secret_word not in answer.text


def test_validation_errors_do_not_echo_message_text(client, chat, secret_word):
    bad = chat(1, grooming=True)
    bad["messages"][0]["author_id"] = 7
    answer = client.post("/v1/conversations/score", json=bad)
    assert answer.status_code == 422
    assert secret_word not in answer.text
