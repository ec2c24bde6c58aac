"""livelab_presence plugin."""
