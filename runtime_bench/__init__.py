"""cloformer-bench: one latency protocol for the host and the phones (see protocol.py)."""
