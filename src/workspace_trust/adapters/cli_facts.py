"""What a CLI binary told us once, kept on disk: its ``--help`` text (the flags
a protected command is built from) and its version.

Theory of operation
-------------------
Reading ``--help`` or ``--version`` starts the CLI (for a Node CLI, 0.1–0.2 s),
and what it prints depends only on the binary. So each answer is kept in one
file per binary under the user's cache folder (:func:`cache_root`), keyed by
the binary's real path and stamped with its size, mtime, inode and ctime
(:class:`BinaryStamp`). Anything that rewrites or replaces the binary (an
update, a reinstall) changes the stamp, and the file's facts no longer count.

The file is written atomically (a private temporary file in the same folder,
then ``os.replace``), mode 0600 in a 0700 folder. It is read only when it is a
regular file owned by this user and at most :data:`MAX_FACTS_BYTES`; anything
else (missing, corrupt, someone else's, a link) reads as "nothing known" and
is replaced on the next write. No error here ever reaches a caller: a cache
that cannot be read or written only costs the process it would have saved.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import stat
import sys
from collections.abc import Mapping
from typing import Any

import attrs

log = logging.getLogger(__name__)

#: The cache folder's name under the platform's cache root.
APP_DIR = "workspace-trust"
#: Where facts go under :func:`cache_root`.
FACTS_DIR = "cli-facts"
#: A facts file larger than this is not read (help text is capped at 256 KiB).
MAX_FACTS_BYTES = 1024 * 1024
#: Bumped when the file's shape changes; other formats read as empty.
FORMAT = 1
#: A ``package.json`` larger than this is not read for a version.
MAX_PACKAGE_JSON_BYTES = 256 * 1024
#: How many folders up from the binary's real path a ``package.json`` is looked for.
PACKAGE_JSON_DEPTH = 4


def cache_root(environ: Mapping[str, str] | None = None) -> str | None:
    """The user's cache folder for this package: ``$XDG_CACHE_HOME/workspace-trust``,
    else the platform's (``~/Library/Caches`` on macOS, ``%LOCALAPPDATA%`` on
    Windows, ``~/.cache`` elsewhere). None when no absolute one can be named."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):
        if sys.platform == "win32":
            base = env.get("LOCALAPPDATA", "")
        else:
            home = env.get("HOME", "")
            if not os.path.isabs(home):
                return None
            base = os.path.join(home, "Library", "Caches") if sys.platform == "darwin" else os.path.join(home, ".cache")
    if not os.path.isabs(base):
        return None
    return os.path.join(base, APP_DIR)


@attrs.frozen(slots=True)
class BinaryStamp:
    """Who a binary is: anything that rewrites or replaces it changes this."""

    real_path: str
    size: int
    mtime_ns: int
    inode: int
    ctime_ns: int

    @classmethod
    def of(cls, binary: str) -> BinaryStamp | None:
        try:
            real = os.path.realpath(binary)
            st = os.stat(real)
        except (OSError, ValueError):
            return None
        if not stat.S_ISREG(st.st_mode):
            return None
        return cls(real, st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)

    def to_json(self) -> dict[str, Any]:
        return attrs.asdict(self)


class CliFactsCache:
    """Facts about binaries, one file each. ``root`` None: :func:`cache_root`
    of this process's environment, looked up at each use."""

    def __init__(self, root: str | None = None) -> None:
        self._root = root

    def _path(self, stamp: BinaryStamp) -> str | None:
        root = self._root if self._root is not None else cache_root()
        if root is None:
            return None
        import hashlib  # here: it loads the system's crypto library, which status rarely needs

        name = hashlib.sha256(os.fsencode(stamp.real_path)).hexdigest()[:40]
        return os.path.join(root, FACTS_DIR, name + ".json")

    def load(self, stamp: BinaryStamp) -> dict[str, Any]:
        """The facts recorded for exactly this binary; empty when none are."""
        path = self._path(stamp)
        if path is None:
            return {}
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
        except OSError:
            return {}
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_FACTS_BYTES:
                return {}
            if hasattr(os, "getuid") and st.st_uid != os.getuid():
                return {}
            with os.fdopen(fd, "rb", closefd=False) as handle:
                raw = handle.read(MAX_FACTS_BYTES + 1)
        except OSError:
            return {}
        finally:
            os.close(fd)
        try:
            doc = json.loads(raw)
        except (ValueError, RecursionError):
            log.debug("ignoring a corrupt CLI facts file")
            return {}
        if not isinstance(doc, dict) or doc.get("format") != FORMAT or doc.get("binary") != stamp.to_json():
            return {}
        facts = doc.get("facts")
        return dict(facts) if isinstance(facts, dict) else {}

    def update(self, stamp: BinaryStamp, **facts: Any) -> None:
        """Record ``facts`` for this binary (merged with what is there), atomically."""
        path = self._path(stamp)
        if path is None:
            return
        merged = {**self.load(stamp), **facts}
        doc = {"format": FORMAT, "binary": stamp.to_json(), "facts": merged}
        folder = os.path.dirname(path)
        tmp: str | None = None
        import tempfile  # only a run that learned something writes

        try:
            os.makedirs(folder, mode=0o700, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".facts-", suffix=".tmp", dir=folder)  # mode 0600
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(doc, handle)
            os.replace(tmp, path)
            tmp = None
        except (OSError, ValueError, TypeError) as exc:
            log.debug("cannot write CLI facts: %s", type(exc).__name__)
        finally:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)


def package_version(stamp: BinaryStamp) -> str | None:
    """The version in the npm ``package.json`` of the package the binary belongs
    to: found in the folders above its real path (an npm ``.bin`` entry is a
    link into the package), and only when that file's ``bin`` names this very
    file. None when there is no such package (a native install, a wrapper)."""
    folder = os.path.dirname(stamp.real_path)
    for _ in range(PACKAGE_JSON_DEPTH):
        found = _read_package_json(os.path.join(folder, "package.json"))
        if found is not None:
            bins = found.get("bin")
            entries = [bins] if isinstance(bins, str) else list(bins.values()) if isinstance(bins, dict) else []
            version = found.get("version")
            for entry in entries:
                if not isinstance(entry, str):
                    continue
                target = os.path.realpath(os.path.join(folder, entry))
                if target == stamp.real_path and isinstance(version, str) and 0 < len(version) <= 64:
                    return version
            return None  # the nearest package is the binary's own, or none is
        parent = os.path.dirname(folder)
        if parent == folder or os.path.basename(folder) == "node_modules":
            return None
        folder = parent
    return None


def _read_package_json(path: str) -> dict[str, Any] | None:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_PACKAGE_JSON_BYTES:
            return None
        with os.fdopen(fd, "rb", closefd=False) as handle:
            raw = handle.read(MAX_PACKAGE_JSON_BYTES + 1)
        doc = json.loads(raw)
    except (OSError, ValueError, RecursionError):
        return None
    finally:
        os.close(fd)
    return doc if isinstance(doc, dict) else None


#: An ``X.Y.Z`` version (with a pre-release tail), as ``--version`` prints it.
VERSION_RE = re.compile(r"\b(\d+\.\d+\.\d+(?:-[0-9A-Za-z.]+)?)\b")


def known_version(key: BinaryStamp, facts: CliFactsCache) -> str | None:
    """The CLI's version without starting anything: from the npm
    ``package.json`` the binary belongs to, or from an earlier ``--version``
    kept in ``facts``. Light enough for ``status`` and ``plan``, which never
    load the help reader's process machinery (tests/test_cold_start.py)."""
    version = package_version(key)
    if version is None:
        stored = facts.load(key).get("version")
        version = stored if isinstance(stored, str) and VERSION_RE.fullmatch(stored) else None
    return version
