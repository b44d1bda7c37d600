"""Claude Code: dialog rules, the ``.claude.json`` probe, and the PTY strategy."""
