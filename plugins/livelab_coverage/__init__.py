"""livelab_coverage plugin."""
