"""The hub's domain: conversation states, routing rules, summaries, errors and views (no I/O)."""
