"""The ``workspace-trust`` command line: an application over the library.

With ``--json`` stdout carries exactly one JSON object (see ``docs/cli.md``;
the documents are built in :mod:`workspace_trust.documents`); progress and
logs go to stderr. Exit codes are :class:`workspace_trust.ExitCode` and are
the same with or without ``--json``.

* :mod:`.app`: :func:`main` and :func:`run`, the dispatch and the one place a
  failure becomes an exit code (and, with ``--json``, an error document);
* :mod:`.parser`: the argparse tree, usage errors, "did you mean";
* :mod:`.request`: the command line as a :class:`WorkspaceTrustRequest`;
* :mod:`.commands`: one module per subcommand, imported when it runs;
* :mod:`.output` and :mod:`.progress`: what reaches stdout and stderr.

Commands import what they use when they run: ``--version``, ``status`` and
``plan`` never load the PTY, the screen renderer, asyncio or the failure
classifier (tests/test_cold_start.py). The library never imports this
package (an import-linter contract in pyproject.toml).
"""

from __future__ import annotations

from workspace_trust.cli.app import main as main
from workspace_trust.cli.app import run as run

__all__ = ["main", "run"]
