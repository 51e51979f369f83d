"""cloformer-bench: one latency protocol (export/contracts/protocol.py) on every platform
(platforms/), one result schema, merged tables and plots."""
