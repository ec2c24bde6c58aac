"""What a session is made of, read safely: the manifest, products, YAML, CSV."""
