"""A third party's provider plug-in for workspace-trust, as a host would ship it.

It adds a toy CLI (``toy_cli.py``, the ``toy`` command) through the
``workspace_trust.providers`` entry-point group alone: nothing in
workspace-trust names it, and it imports nothing of workspace-trust but
``workspace_trust.plugin`` (and ``workspace_trust.testing`` in tests).
"""
