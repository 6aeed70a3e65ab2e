"""The reviewer web pages: log in, work the queue, decide, read the audit log.

Server-rendered Jinja2 templates with one small static script for keyboard shortcuts; every
form carries the session's CSRF token (the login form a double-submit cookie token), and every
state-changing request from a browser must come from this site's own origin (``SameOrigin``).
Notices shown on a page come from fixed codes (``NOTICES``), never from text in the URL.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.types import ASGIApp, Receive, Scope, Send

from groomwatch.serving import audit, decisions, queue
from groomwatch.serving.auth import (
    DEVICE_COOKIE,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    LoginThrottle,
    Principal,
    check_csrf,
    check_password,
    close_session,
    device_proof,
    new_token,
    open_session,
    same_secret,
    session_user,
    throttle_keys,
)
from groomwatch.serving.db import Review, User, utcnow
from groomwatch.serving.schemas import NO_NUL

UI = Path(__file__).parent / "ui"
templates = Jinja2Templates(directory=str(UI / "templates"))
router = APIRouter(include_in_schema=False)
AUDIT_ROLES = ("auditor", "lead", "admin", "reviewer")
#: Roles that read the whole audit log; a reviewer sees only entries they made themself.
AUDIT_ALL_ROLES = ("auditor", "lead", "admin")
#: Everything a page may announce, by code; ``{review}`` is filled with a number or dropped.
NOTICES = {
    "empty": "The queue is empty.",
    "taken": "Someone else is working on that item.",
    "claim_limit": "You already hold as many items as you may: decide one first.",
    "released": "Review {review} returned to the queue.",
    "not_claimed": "Review {review} was not claimed.",
    "second": "Review {review}: waiting for a second verdict.",
    "escalated": "Review {review}: escalated to a lead.",
    "confirmed": "Review {review}: confirmed.",
    "dismissed": "Review {review}: dismissed; its content is deleted.",
}
LOGIN_ERRORS = {
    "wrong": "Wrong name or password.",
    "locked": "Too many failed attempts: wait a few minutes, then try again.",
    "unavailable": "Login is unavailable: the count of failed logins shared by the workers "
                   "(Redis) did not answer. Try again in a few seconds.",
}
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class SameOrigin:
    """ASGI middleware refusing a state-changing request that a browser says comes from another
    site (``Origin`` not this host, or ``Sec-Fetch-Site: cross-site``). API clients send neither
    header and pass; the CSRF tokens and SameSite cookies remain the first line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in UNSAFE_METHODS:
            headers = dict(scope["headers"])
            origin = headers.get(b"origin", b"").decode("latin-1")
            host = headers.get(b"host", b"").decode("latin-1")
            cross = headers.get(b"sec-fetch-site", b"") == b"cross-site"
            if cross or (origin and urlsplit(origin).netloc.lower() != host.lower()):
                refused = Response('{"detail":"cross-origin request refused"}', 403,
                                   media_type="application/json")
                await refused(scope, receive, send)
                return
        await self.app(scope, receive, send)


def notice(code: str, review: str = "") -> str:
    """The text for a notice code; unknown codes show nothing, whatever the URL says."""
    number = review if review.isascii() and review.isdigit() and len(review) <= 10 else ""
    return NOTICES.get(code, "").replace("Review {review}",
                                         f"Review {number}" if number else "The review")


class LoginRequired(Exception):
    """Raised by pages that need a session; the app turns it into a redirect to /login."""


#: ``reviews.id`` is a 32-bit INTEGER on PostgreSQL; no review can have a larger ID anywhere.
MAX_REVIEW_ID = 2**31 - 1


def _review_id(review_id: str) -> int:
    """The review ID in the path. Anything that cannot name a review (not a decimal number, or
    outside the ID column's range) is a 404 like any missing review, never a database error."""
    if review_id.isascii() and review_id.isdigit() and len(review_id) <= 10:
        number = int(review_id)
        if 1 <= number <= MAX_REVIEW_ID:
            return number
    raise HTTPException(404, "no such review")


ReviewId = Annotated[int, Depends(_review_id)]


def _user(request: Request, *roles: str) -> Principal:
    principal = session_user(request)
    if principal is None:
        raise LoginRequired
    if roles and principal.role not in roles:
        raise HTTPException(403, f"role {principal.role!r} may not open this page")
    return principal


def _page(request: Request, name: str, principal: Principal | None, **context: Any) -> Response:
    return templates.TemplateResponse(request, name, {"user": principal, **context})


def _cookie(response: Response, request: Request, name: str, value: str) -> None:
    response.set_cookie(name, value, httponly=True, samesite="strict", path="/",
                        secure=request.app.state.settings.secure_cookies)


def _login_page(request: Request, error: str, status_code: int = 200,
                seconds: float = 0.0) -> Response:
    token = new_token()
    response = _page(request, "login.html", None, csrf=token,
                     error=LOGIN_ERRORS.get(error, ""))
    response.status_code = status_code
    if seconds:
        response.headers["retry-after"] = str(int(seconds) + 1)
    _cookie(response, request, LOGIN_CSRF_COOKIE, token)
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, error: str = "") -> Response:
    return _login_page(request, error)


@router.post("/login")
def login(request: Request, username: str = Form(..., max_length=100, pattern=NO_NUL),
          password: str = Form(...), csrf: str = Form("")) -> Response:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not same_secret(expected, csrf):
        raise HTTPException(403, "missing or wrong CSRF token; reload the login page")
    settings = request.app.state.settings
    throttle: LoginThrottle = request.app.state.login_throttle
    keys = throttle_keys(request, username)
    try:
        if (wait := throttle.wait(keys)) > 0:  # refused before any Argon2 work or audit row
            return _login_page(request, "locked", status_code=429, seconds=wait)
        with request.app.state.db.transaction() as session:
            user = check_password(session, username, password)
            if user is None:
                audit.record(session, username[:100], "login.failed")
                for key, seconds in throttle.failed(keys):
                    audit.record(session, "system", "login.locked", key[:200],
                                 seconds=round(seconds))
            else:
                token = open_session(session, user, settings.session_ttl_seconds)
                audit.record(session, user.name, "login")
    except HTTPException as exc:  # a shared throttle that cannot count refuses (fail closed)
        if exc.status_code != 503:
            raise
        return _login_page(request, "unavailable", status_code=503, seconds=4)
    if user is None:
        return RedirectResponse("/login?error=wrong", status_code=303)
    throttle.succeeded(keys)
    response = RedirectResponse("/", status_code=303)
    _cookie(response, request, SESSION_COOKIE, token)
    _cookie(response, request, DEVICE_COOKIE, device_proof(user.name))
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    return response


@router.post("/logout")
def logout(request: Request, csrf: str = Form("")) -> Response:
    principal = _user(request)
    check_csrf(principal, csrf)
    with request.app.state.db.transaction() as session:
        close_session(session, request.cookies[SESSION_COOKIE])
        audit.record(session, principal.name, "logout")
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/", response_class=HTMLResponse)
def queue_page(request: Request, message: str = "", review: str = "") -> Response:
    principal = _user(request)
    with request.app.state.db.transaction() as session:
        items = queue.ordered(session, principal)
        depth = queue.queue_depth(session)
    return _page(request, "queue.html", principal, items=items, depth=depth, now=utcnow(),
                 message=notice(message, review), can_decide=principal.role in queue.DECIDING_ROLES,
                 is_lead=principal.role in queue.LEAD_ROLES)


@router.post("/queue/next")
def next_item(request: Request, csrf: str = Form("")) -> Response:
    principal = _user(request, *queue.DECIDING_ROLES)
    check_csrf(principal, csrf)
    settings = request.app.state.settings
    review_id = queue.claim_next(request.app.state.db, principal, settings.claim_ttl_seconds)
    if review_id is None:
        return RedirectResponse("/?message=empty", status_code=303)
    return RedirectResponse(f"/review/{review_id}", status_code=303)


@router.post("/review/{review_id}/claim")
def claim_item(request: Request, review_id: ReviewId, csrf: str = Form("")) -> Response:
    principal = _user(request, *queue.DECIDING_ROLES)
    check_csrf(principal, csrf)
    settings = request.app.state.settings
    try:
        won = queue.claim(request.app.state.db, principal, review_id,
                          settings.claim_ttl_seconds, settings.max_claims)
    except queue.ClaimLimit:
        return RedirectResponse("/?message=claim_limit", status_code=303)
    if not won:
        return RedirectResponse("/?message=taken", status_code=303)
    return RedirectResponse(f"/review/{review_id}", status_code=303)


@router.post("/review/{review_id}/release")
def release_item(request: Request, review_id: ReviewId, csrf: str = Form("")) -> Response:
    principal = _user(request, *queue.LEAD_ROLES)
    check_csrf(principal, csrf)
    released = queue.release(request.app.state.db, principal, review_id)
    code = "released" if released else "not_claimed"
    return RedirectResponse(f"/?message={code}&review={review_id}", status_code=303)


def highlighted(content: dict[str, Any]) -> list[dict[str, Any]]:
    """Messages with a 0..1 highlight from their positive contribution and a top-3 mark."""
    contributions = content["contributions"]
    strongest = max([c for c in contributions if c > 0], default=0.0)
    top = sorted(range(len(contributions)), key=lambda i: -contributions[i])[:3]
    roles = {p["author_id"]: p["role"] for p in content["participants"]}
    return [
        {**m, "role": roles.get(m["author_id"], "unknown"), "contribution": c,
         "weight": (max(c, 0.0) / strongest) if strongest else 0.0,
         "top": c > 0 and i in top}
        for i, (m, c) in enumerate(zip(content["messages"], contributions, strict=True))
    ]


@router.get("/review/{review_id}", response_class=HTMLResponse)
def review_page(request: Request, review_id: ReviewId) -> Response:
    principal = _user(request, *queue.DECIDING_ROLES)
    with request.app.state.db.transaction() as session:
        review = session.get(Review, review_id)
        if review is None:
            raise HTTPException(404, f"no review {review_id}")
        holder = session.get(User, review.claimed_by) if review.claimed_by else None
    mine = review.claimed_by == principal.user_id
    return _page(
        request, "review.html", principal, review=review, holder=holder, mine=mine,
        messages=highlighted(review.content) if review.content and mine else [],
        participants=review.content["participants"] if review.content else [],
        reasons=decisions.REASONS, lead_only=review.status == "escalated",
    )


@router.post("/review/{review_id}/decide")
def decide(request: Request, review_id: ReviewId, outcome: str = Form(...), csrf: str = Form(""),
           note: str = Form("", pattern=NO_NUL), reason_confirm: str = Form(""),
           reason_dismiss: str = Form(""),
           reason_escalate: str = Form("")) -> Response:
    principal = _user(request, *queue.DECIDING_ROLES)
    check_csrf(principal, csrf)
    reason = {"confirm": reason_confirm, "dismiss": reason_dismiss,
              "escalate": reason_escalate}.get(outcome, "")
    state = decisions.decide(request.app.state.db, principal, review_id, outcome, reason, note)
    return RedirectResponse(f"/?message={state}&review={review_id}", status_code=303)


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request) -> Response:
    principal = _user(request, *AUDIT_ROLES)
    everyone = principal.role in AUDIT_ALL_ROLES
    with request.app.state.db.transaction() as session:
        entries = audit.recent(session, 200, actor=None if everyone else principal.name)
    return _page(request, "audit.html", principal, entries=entries, everyone=everyone)
