"""livelab_ops plugin."""
