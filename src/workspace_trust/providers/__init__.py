"""One folder per provider: its dialog rules (data), state probe and strategies."""
