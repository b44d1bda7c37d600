"""One module per subcommand, each with ``run(args) -> exit code``; the
dispatcher (:mod:`workspace_trust.cli.app`) imports only the one that runs."""
