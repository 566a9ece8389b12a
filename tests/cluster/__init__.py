"""Real-process tests on the multi-process cluster (deploy/cluster.py)."""
