"""Gemini CLI: the trustedFolders.json probe, the environment patch, and strategies."""
