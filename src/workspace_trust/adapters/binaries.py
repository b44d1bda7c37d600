"""The :class:`BinaryLocator` port on this machine: the one place that asks the
file system whether a path is an executable, or where a name is on a PATH."""

from __future__ import annotations

import os
import shutil

from workspace_trust.ports import BinaryLocator


class LocalBinaryLocator(BinaryLocator):
    def is_executable(self, path: str) -> bool:
        return os.path.isfile(path) and os.access(path, os.X_OK)

    def which(self, name: str, search_path: str) -> str | None:
        found = shutil.which(name, path=search_path)
        return os.path.abspath(found) if found else None
