"""Widgets of the livelab TUI; each keeps its CSS beside it in DEFAULT_CSS."""
