"""The hub's persistence: tables, the transactions around them, and rows turned into views."""
