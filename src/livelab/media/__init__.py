"""Reading recordings: probe, decode the audio once, one sampled video pass."""
