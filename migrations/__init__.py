"""Schema migrations (Alembic) for the one database the payments store and the hub share.

``python -m migrations upgrade|current|check|revision`` (``make migrate``); the Python API is
``migrations.runner``.
"""
