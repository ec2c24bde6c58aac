"""The plugin contract: every type and helper an analyzer, transcriber, reporter or
executor plugin sees. A leaf: it imports nothing else from livelab."""
