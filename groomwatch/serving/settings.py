"""Everything the server can be configured with, in one place, with safe defaults."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    """Server configuration; the CLI builds it from options, tests build it directly."""

    db_url: str = "sqlite:///review.db"
    model_dir: Path | None = None
    #: Who runs the service; written into every report record.
    provider: str = "groomwatch"
    service: str = "chat"
    #: Days a flagged conversation's content is kept after detection (Council text: ≤ 12 months).
    retention_days: int = 365
    #: Request bodies larger than this are refused with 413 before they are parsed.
    max_body_bytes: int = 2_000_000
    max_batch: int = 100
    max_messages: int = 5_000
    max_message_chars: int = 10_000
    #: Per-API-key token bucket: sustained requests per second and burst size.
    rate_per_second: float = 2_000.0
    rate_burst: int = 4_000
    #: Streaming: messages kept per stream, streams kept at once, idle seconds before expiry.
    stream_window: int = 50
    stream_history: int = 10
    max_streams: int = 10_000
    #: Open streams one API client may hold; a new one past it gets 429 (nothing is evicted).
    max_streams_per_client: int = 2_000
    stream_ttl_seconds: float = 900.0
    #: Where stream windows live: "" (this process) or redis://HOST:PORT/DB, shared by several
    #: workers; with Redis, rate limits are kept there too.
    streams_url: str = ""
    #: With Redis: how long one append may hold its stream before another worker may take it
    #: (a worker killed mid-append blocks its stream for at most this long).
    stream_lock_seconds: float = 5.0
    #: A claim not decided within this many seconds returns the item to the queue.
    claim_ttl_seconds: float = 900.0
    #: Items one reviewer may hold claimed at once (each is locked for claim_ttl_seconds).
    max_claims: int = 3
    #: Share of flags that need two independent verdicts (agreement is measured on these).
    double_review_rate: float = 0.1
    session_ttl_seconds: float = 8 * 3600.0
    #: Cookies carry the Secure flag; only turn off behind a TLS-terminating test harness.
    secure_cookies: bool = True
