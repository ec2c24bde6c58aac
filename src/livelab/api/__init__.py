"""The plugin contract: every type and helper an analyzer, transcriber, reporter or
executor plugin sees. A leaf: it imports nothing else from livelab (tests/core/test_contracts.py
and ``lint-imports`` check it). Plugins import these names from the top-level ``livelab``."""
