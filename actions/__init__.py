"""Custom actions of the payments assistant (rasa-sdk), one module per flow.

Run with ``python -m rasa_sdk --actions actions``. Importing this package has no side effects:
the database and the environment are only read when the first action runs.
"""
