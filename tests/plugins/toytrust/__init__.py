"""A third party's provider plug-in, as a host would ship it in its own package.

It adds a toy CLI (``toy_cli.py`` beside this file) to workspace-trust through
the ``workspace_trust.providers`` entry-point group alone: nothing in
workspace-trust names it. The test that installs it is
``tests/test_plugin_provider.py``.
"""
