"""``python -m groomwatch`` is the ``groomwatch`` command."""

from groomwatch.cli import entry

entry()
