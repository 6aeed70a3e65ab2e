"""The migrations build exactly the schema the code declares, on every backend."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from groomwatch.serving.db import Base, Database
from groomwatch.serving.migrations import upgrade
from groomwatch.serving.scoring import _OPEN_REVIEWS


def test_migrated_schema_equals_the_declared_one(backend_url: str) -> None:
    db = Database(backend_url)
    try:
        upgrade(db)
        with db.engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    finally:
        db.dispose()
    assert differences == []


def test_the_open_review_lookup_uses_the_conversation_index(tmp_path) -> None:
    """A resubmission check per flagged conversation must not scan every review."""
    db = Database(f"sqlite:///{tmp_path / 'review.db'}")
    try:
        upgrade(db)
        statement = _OPEN_REVIEWS.params(ids=["c1", "c2"]).compile(
            dialect=db.engine.dialect,
            compile_kwargs={"literal_binds": True, "render_postcompile": True},
        )
        with db.engine.connect() as connection:
            connection.execute(text("ANALYZE"))
            plan = connection.execute(text(f"EXPLAIN QUERY PLAN {statement}")).all()
    finally:
        db.dispose()
    details = " ".join(str(row[-1]) for row in plan)
    assert "ix_reviews_conversation" in details, details
