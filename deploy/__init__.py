"""Deployment: the multi-process cluster on one machine (``make cluster``) and its configs."""
