"""Codex CLI: the trust override builder, the config.toml probe, and strategies."""
