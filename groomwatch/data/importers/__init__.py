"""Importers turn public corpora and users' own files into conversation records.

Each module yields :class:`~groomwatch.data.record.Conversation` objects lazily, so the CLI can
stream them into :func:`groomwatch.data.io.write_conversations` (atomic: a failed import leaves
no output file).
"""
