"""The reviewer workflow through the web pages: log in, claim, decide, second opinions."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

from groomwatch.serving.db import Review


def _flag(client, chat, n: int = 1, seed: int = 0) -> list[int]:
    batch = {"conversations": [chat(i, grooming=True, seed=seed) for i in range(n)]}
    results = client.post("/v1/conversations/score", json=batch).json()["results"]
    return [r["review_id"] for r in results]


def _open_next(browser) -> int:
    answer = browser.post("/queue/next", data={"csrf": browser.csrf}, follow_redirects=False)
    assert answer.status_code == 303
    return int(answer.headers["location"].rsplit("/", 1)[1])


def _decide(browser, review_id: int, outcome: str, reason: str, note: str = ""):
    return browser.post(f"/review/{review_id}/decide", follow_redirects=False, data={
        "csrf": browser.csrf, "outcome": outcome, f"reason_{outcome}": reason, "note": note})


def test_queue_is_ordered_by_risk_then_age(client, app, chat, login):
    ids = _flag(client, chat, n=4)
    with app.state.db.transaction() as session:
        for review_id, score in zip(ids, (0.7, 0.9, 0.9, 0.8), strict=True):
            session.get(Review, review_id).score = score
    page = login(app, "rita").get("/").text
    shown = [int(x) for x in re.findall(r'data-id="(\d+)"', page)]
    assert shown == [ids[1], ids[2], ids[3], ids[0]]


def test_review_page_shows_roles_highlights_keys_and_blur(client, app, chat, login):
    _flag(client, chat)
    browser = login(app, "rita")
    review_id = _open_next(browser)
    page = browser.get(f"/review/{review_id}").text
    assert 'class="role role-child">child' in page and 'class="role role-adult">adult' in page
    assert 'class="conversation blurred"' in page and 'id="show-text"' in page
    for key in ("c", "d", "e", "j", "k"):
        assert f"<kbd>{key}</kbd>" in page
    weights = [float(w) for w in re.findall(r'data-weight="([0-9.]+)"', page)]
    assert len(weights) == 30 and max(weights) == 1.0
    assert len(re.findall(r'class="message heat\d+ top"', page)) == 3
    assert 'class="message heat10 top"' in page  # the strongest message gets the most heat


def test_confirm_makes_a_report_and_dismiss_deletes_content(client, app, chat, login):
    first, second = _flag(client, chat, n=2)
    browser = login(app, "rita")
    decided = {}
    for outcome, reason in (("confirm", "meeting_request"), ("dismiss", "benign")):
        review_id = _open_next(browser)
        assert _decide(browser, review_id, outcome, reason).status_code == 303
        decided[outcome] = review_id
    assert set(decided.values()) == {first, second}
    with app.state.db.transaction() as session:
        dismissed = session.get(Review, decided["dismiss"])
        assert dismissed.status == "dismissed" and dismissed.content is None
        assert session.get(Review, decided["confirm"]).content is not None
    lead = login(app, "lena", "lead")
    (report,) = lead.post("/v1/reports").json()
    assert report["category"] == "solicitation of children"
    assert report["urgency"] == "high" and report["reviewer"] == "rita"
    assert len(report["messages"]) == 30
    assert {p["role"] for p in report["participants"]} == {"adult", "child"}


def test_escalation_goes_to_a_lead_whose_verdict_is_final(client, app, chat, login):
    (review_id,) = _flag(client, chat)
    rita = login(app, "rita")
    assert _open_next(rita) == review_id
    assert _decide(rita, review_id, "escalate", "age_unclear").status_code == 303
    assert 'data-id="' not in rita.get("/").text  # reviewers do not see escalations
    lena = login(app, "lena", "lead")
    assert _open_next(lena) == review_id
    assert _decide(lena, review_id, "escalate", "age_unclear").status_code == 422
    assert _decide(lena, review_id, "dismiss", "no_child").status_code == 303
    stats = lena.get("/v1/stats").json()
    assert stats["decisions_by_outcome"] == {"confirm": 0, "dismiss": 1, "escalate": 1}
    assert stats["final_outcomes"] == {"confirmed": 0, "dismissed": 1}


def test_double_review_measures_agreement_and_reversals(client, app, chat, login):
    app.state.batcher.scorer.settings = replace(app.state.settings, double_review_rate=1.0)
    ids = _flag(client, chat, n=4)
    rita, sam, lena = login(app, "rita"), login(app, "sam"), login(app, "lena", "lead")
    first = {"confirm": "grooming_pattern", "dismiss": "benign"}
    plan = {ids[0]: ("confirm", "confirm"), ids[1]: ("confirm", "dismiss"),
            ids[2]: ("dismiss", "dismiss"), ids[3]: ("confirm", "confirm")}
    for _ in ids:
        review_id = _open_next(rita)
        _decide(rita, review_id, plan[review_id][0], first[plan[review_id][0]])
    assert "data-id" not in rita.get("/").text  # nobody second-reviews their own verdict
    for _ in ids:
        review_id = _open_next(sam)
        _decide(sam, review_id, plan[review_id][1], first[plan[review_id][1]])
    review_id = _open_next(lena)
    assert review_id == ids[1]  # the disagreement went to the lead
    _decide(lena, review_id, "dismiss", "benign")
    stats = lena.get("/v1/stats").json()
    assert stats["double_reviewed"] == 4
    # pairs: (c,c), (c,d), (d,d), (c,c): p_o = 0.75, p_e = 0.75*0.5 + 0.25*0.5 = 0.5
    assert stats["cohen_kappa"] == pytest.approx(0.5)
    assert stats["reversal_rate"] == pytest.approx(0.25)
    assert stats["downstream_precision"] == pytest.approx(0.5)


def test_roles_and_csrf_are_enforced(client, app, chat, login):
    (review_id,) = _flag(client, chat)
    auditor = login(app, "ada", "auditor")
    assert auditor.post("/queue/next", data={"csrf": auditor.csrf}).status_code == 403
    assert auditor.get("/v1/stats").status_code == 200
    rita = login(app, "rita")
    assert rita.get("/v1/stats").status_code == 403
    assert rita.post("/queue/next", data={"csrf": "forged"}).status_code == 403
    assert client.get("/v1/stats").status_code == 403  # an API key is no reviewer
    assert _decide(rita, review_id, "confirm", "grooming_pattern").status_code == 409
    assert rita.post("/queue/next", data={"csrf": rita.csrf},
                     follow_redirects=False).status_code == 303
    assert _decide(rita, review_id, "confirm", "not-a-reason").status_code == 422


def test_login_needs_the_right_password_and_is_audited(app, login):
    login(app, "rita")
    browser = TestClient(app, base_url="https://testserver")
    token = re.search(r'name="csrf" value="([^"]+)"', browser.get("/login").text).group(1)
    answer = browser.post("/login", data={"username": "rita", "password": "wrong",
                                          "csrf": token}, follow_redirects=False)
    assert answer.headers["location"].startswith("/login?error")
    assert browser.get("/", follow_redirects=False).headers["location"] == "/login"
    cookie = login(app, "rita", create=False).cookies
    assert cookie.get("gw_session")
    audit = login(app, "ada", "auditor").get("/audit").text
    assert "login.failed" in audit and "account.create" in audit


def test_session_cookie_is_secure_httponly_samesite(app, login):
    login(app, "rita")
    browser = TestClient(app, base_url="https://testserver")
    token = re.search(r'name="csrf" value="([^"]+)"', browser.get("/login").text).group(1)
    answer = browser.post("/login", data={"username": "rita", "password": "correct horse battery",
                                          "csrf": token}, follow_redirects=False)
    cookie = answer.headers["set-cookie"].lower()
    assert "gw_session=" in cookie
    assert "httponly" in cookie and "secure" in cookie and "samesite=strict" in cookie


def test_a_lead_can_take_an_item_back_for_reassignment(client, app, chat, login):
    (review_id,) = _flag(client, chat)
    rita, sam = login(app, "rita"), login(app, "sam")
    assert _open_next(rita) == review_id
    assert sam.post("/queue/next", data={"csrf": sam.csrf},
                    follow_redirects=False).headers["location"].startswith("/?message=")
    assert sam.post(f"/review/{review_id}/release", data={"csrf": sam.csrf}).status_code == 403
    lena = login(app, "lena", "lead")
    assert "Reassign" in lena.get("/").text
    lena.post(f"/review/{review_id}/release", data={"csrf": lena.csrf})
    assert _open_next(sam) == review_id
    assert _decide(rita, review_id, "confirm", "grooming_pattern").status_code == 409
    assert "reassign" in lena.get("/audit").text
