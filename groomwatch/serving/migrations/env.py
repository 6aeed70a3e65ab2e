"""Alembic environment: runs online against the engine the caller put in the config."""

from alembic import context

from groomwatch.serving.db import Base

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata)
    context.run_migrations()
