"""Commands of the serving stage: the review server, accounts, keys, stats, reports, purge, audit.

The web stack and database layer are imported inside each command so ``groomwatch --help``
stays fast.
"""

from __future__ import annotations

import json
import secrets
import sys
from pathlib import Path
from typing import Annotated

import typer

DB_HELP = "Database URL, e.g. sqlite:///review.db or postgresql+psycopg://user@host/db."
DbOption = typer.Option("sqlite:///review.db", "--db", help=DB_HELP)

users_app = typer.Typer(help="Reviewer accounts and API keys.", no_args_is_help=True)
reports_app = typer.Typer(help="Report records of confirmed flags.", no_args_is_help=True)
audit_app = typer.Typer(help="The keyed, hash-chained audit log.", no_args_is_help=True)


def _database(url: str):
    """Open the database at ``url`` migrated to the newest schema."""
    from groomwatch.serving.db import Database
    from groomwatch.serving.migrations import upgrade

    db = Database(url)
    upgrade(db)
    return db


SETTINGS_ENV = "GROOMWATCH_SERVE_SETTINGS"


def serve(
    model: Annotated[Path, typer.Option("--model", help="Directory of a saved detector.")],
    db: str = DbOption,
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    provider: str = typer.Option("groomwatch", help="Provider name written into reports."),
    service: str = typer.Option("chat", help="Service name written into reports."),
    retention_days: int = typer.Option(365, help="Days confirmed content is kept."),
    double_review_rate: float = typer.Option(
        0.1, help="Share of flags that need two independent verdicts (agreement is measured)."
    ),
    insecure_cookies: bool = typer.Option(
        False, help="Drop the Secure cookie flag (only for plain-HTTP testing off loopback)."
    ),
    streams: str = typer.Option(
        "", "--streams", help="Where stream windows live: empty for this process, or "
        "redis://HOST:PORT/DB, shared by every worker (rate limits go there too)."),
    workers: int = typer.Option(
        1, "--workers", min=1, help="Worker processes; more than one needs --streams redis://."),
) -> None:
    """Run the scoring API and reviewer web page (migrates the database and purges first)."""
    import logging
    import os
    from dataclasses import asdict

    import uvicorn

    from groomwatch.errors import ConfigError
    from groomwatch.serving.redis_shared import uses_redis
    from groomwatch.serving.settings import Settings

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = Settings(db_url=db, model_dir=model, provider=provider, service=service,
                        retention_days=retention_days, double_review_rate=double_review_rate,
                        secure_cookies=not insecure_cookies, streams_url=streams)
    if workers == 1:
        app = _prepared_app(settings)
        typer.echo(f"serving {model} on http://{host}:{port} (docs at /docs)", err=True)
        uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
        return
    if not uses_redis(settings):
        raise ConfigError(f"--workers {workers} needs --streams redis://HOST:PORT/DB: each "
                          "stream's window must be shared by the workers")
    from groomwatch.serving.stream_store_redis import connect

    connect(streams).close()  # fail here, once, not in every worker
    _database(db).dispose()  # migrate once, before the workers start
    from groomwatch.serving import workers as supervisor

    # each worker is a fresh interpreter that builds its own app from these
    os.environ[SETTINGS_ENV] = json.dumps(asdict(settings), default=str)
    typer.echo(f"serving {model} on http://{host}:{port} with {workers} workers "
               "(docs at /docs)", err=True)
    if not supervisor.supported():  # one shared socket: connections spread less evenly
        uvicorn.run(supervisor.APP, factory=True, workers=workers, host=host, port=port,
                    log_level="warning", access_log=False)
        return
    try:
        failed = supervisor.run(workers, host, port)
    except OSError as exc:
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    if failed:
        raise ConfigError("a worker failed to start; its error is logged above")


def worker_app():
    """The app of one of several workers (uvicorn calls this in each worker process)."""
    import logging
    import os
    from dataclasses import fields

    from groomwatch.serving.settings import Settings

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    data = json.loads(os.environ[SETTINGS_ENV])
    paths = {f.name for f in fields(Settings) if "Path" in str(f.type)}
    return _prepared_app(Settings(**{name: Path(value) if name in paths and value else value
                                     for name, value in data.items()}))


def _prepared_app(settings):
    """``create_app`` with the start-up heap frozen: the libraries and the model loaded so far
    live as long as the process, and without this every full garbage collection walks them
    all (pauses of 60-200 ms were measured)."""
    import gc

    from groomwatch.serving.app import create_app

    app = create_app(settings)
    gc.collect()
    gc.freeze()
    return app


@users_app.command("add")
def users_add(
    name: str = typer.Argument(..., help="Login name."),
    role: str = typer.Option("reviewer", help="reviewer, lead, auditor or admin."),
    db: str = DbOption,
    generate_password: bool = typer.Option(
        False, "--generate-password", help="Generate a password and print it once."
    ),
) -> None:
    """Add a reviewer account; the password is prompted for, or generated and printed once."""
    from groomwatch.serving.auth import add_user

    if generate_password:
        password = secrets.token_urlsafe(12)
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    add_user(_database(db), name, role, password)
    typer.echo(f"added {role} {name!r}")
    if generate_password:
        typer.echo(f"password (shown once): {password}")


@users_app.command("add-key")
def users_add_key(
    client: str = typer.Argument(..., help="Name of the API client (provider system)."),
    db: str = DbOption,
) -> None:
    """Create an API key for a client; it is printed once, as the last word of the output."""
    from groomwatch.serving.auth import add_api_key

    key = add_api_key(_database(db), client)
    typer.echo(f"API key for {client!r} (store it now, it is shown only once): {key}")


@users_app.command("disable")
def users_disable(name: str = typer.Argument(..., help="Login name."),
                  db: str = DbOption) -> None:
    """Disable an account: its sessions end at once and it can no longer log in (audited)."""
    from groomwatch.serving.auth import disable_user

    disable_user(_database(db), name)
    typer.echo(f"disabled {name!r}; its sessions are closed")


@users_app.command("revoke-key")
def users_revoke_key(client: str = typer.Argument(..., help="Name of the API client."),
                     db: str = DbOption) -> None:
    """Revoke every API key of a client, refused from the next request on (audited)."""
    from groomwatch.serving.auth import revoke_keys

    n = revoke_keys(_database(db), client)
    typer.echo(f"revoked {n} API key(s) of {client!r}")


@users_app.command("list")
def users_list(db: str = DbOption) -> None:
    """Every account (role, disabled or not) and API client (live or revoked keys)."""
    from groomwatch.serving.auth import accounts

    users, keys = accounts(_database(db))
    for user in users:
        state = f"disabled {user.disabled_at:%Y-%m-%d %H:%M}" if user.disabled_at else "active"
        typer.echo(f"user  {user.name:24} {user.role:9} {state}")
    for key in keys:
        state = f"revoked {key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else "live"
        typer.echo(f"key   {key.client:24} {key.created_at:%Y-%m-%d %H:%M}  {state}")


def stats(
    db: str = DbOption,
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """Flags, decisions, downstream precision, time to decision, reversal rate, kappa."""
    from groomwatch.serving.stats import read

    figures = read(_database(db))
    if as_json:
        typer.echo(json.dumps(figures, indent=2))
        return
    for key, value in figures.items():
        shown = f"{value:.4f}" if isinstance(value, float) else value
        typer.echo(f"{key:24} {'n/a (no data yet)' if value is None else shown}")


@reports_app.command("export")
def reports_export(
    db: str = DbOption,
    out: Annotated[
        Path | None, typer.Option("--out", help="JSON file to write (default stdout).")
    ] = None,
    provider: str = typer.Option("groomwatch", help="Provider name written into reports."),
    service: str = typer.Option("chat", help="Service name written into reports."),
) -> None:
    """Export one JSON report record per confirmed flag (the export is audited)."""
    from groomwatch.data.io import atomic_output
    from groomwatch.serving.reports import export
    from groomwatch.serving.settings import Settings

    records = export(_database(db), Settings(provider=provider, service=service), actor="cli")
    text = json.dumps(records, indent=2) + "\n"
    if out is None:
        sys.stdout.write(text)
        return
    with atomic_output(out) as handle:
        handle.write(text)
    typer.echo(f"wrote {len(records)} report(s) to {out}", err=True)


def purge(
    db: str = DbOption,
    retention_days: int = typer.Option(365, help="Delete content detected longer ago than this."),
) -> None:
    """Delete the content of flags older than the retention period (metadata stays)."""
    from groomwatch.serving.retention import purge as run_purge

    n = run_purge(_database(db), retention_days, actor="cli")
    typer.echo(f"purged the content of {n} item(s) older than {retention_days} days")


@audit_app.command("new-key")
def audit_new_key(
    out: Annotated[Path, typer.Option("--out", help="Key file to create (never overwritten).")],
) -> None:
    """Create a random audit key file (mode 600); point GROOMWATCH_AUDIT_KEY_FILE at it."""
    from groomwatch.serving.audit import KEY_FILE_ENV, write_new_key

    write_new_key(out)
    typer.echo(f"wrote a new audit key to {out}; keep it apart from the database and its "
               f"backups, and set {KEY_FILE_ENV}={out} for serve, users, purge, reports and audit")


@audit_app.command("verify")
def audit_verify(
    db: str = DbOption,
    expect_head: str | None = typer.Option(
        None, "--expect-head", metavar="SEQ:HASH",
        help="A head printed by an earlier verify: fails unless that entry is still there "
             "unchanged (catches a log cut back or rewritten as a whole)."),
) -> None:
    """Check the audit log's keyed hash chain; fails (exit 2) naming every edited, forged or
    deleted entry. Prints the head (sequence:hash): keep it elsewhere to catch truncation."""
    from groomwatch.errors import GroomwatchError
    from groomwatch.serving.audit import verify

    result = verify(_database(db), expect_head)
    if not result.ok:
        raise GroomwatchError("audit log broken: " + "; ".join(result.problems))
    unkeyed = f" ({result.unkeyed} from before keying)" if result.unkeyed else ""
    typer.echo(f"audit log intact: {result.entries} entries{unkeyed}")
    typer.echo(f"head: {result.head}")


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the root `groomwatch` app."""
    app.command("serve")(serve)
    app.command("stats")(stats)
    app.command("purge")(purge)
    app.add_typer(users_app, name="users")
    app.add_typer(reports_app, name="reports")
    app.add_typer(audit_app, name="audit")
