"""Modal dialogs of the livelab TUI, each typed by what it returns."""
