"""livelab_pace plugin."""
