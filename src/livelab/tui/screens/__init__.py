"""Screens of the livelab TUI: home, analyse, scorecard, transcript, timelines, progress, help."""
