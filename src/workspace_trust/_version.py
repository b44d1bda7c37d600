"""The package's version, written here and nowhere else: pyproject.toml reads it
at build time (``[tool.setuptools.dynamic]``), so the installed distribution's
metadata (``importlib.metadata.version("workspace-trust")``) says the same.
Kept out of importlib.metadata at run time: ``--version`` stays a cold start."""

__version__ = "0.2.0"
