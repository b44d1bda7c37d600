"""A provider's own lock files, read through the :class:`ProviderLockFiles` port.

Some CLIs lock their state files the proper-lockfile way: a folder
``<state file>.lock`` made with ``mkdir``, its modification time refreshed
while it is held, and taken over by the next process once it is older than the
stale time (each provider spec names its lock files). A process killed with
SIGKILL while it holds one leaves it behind, and until it goes stale every
other start of that CLI fails to save, trust included.
"""

from __future__ import annotations

import errno
import logging
import os
import stat
import time

from workspace_trust.ports import LockFileStamp, ProviderLockFiles

log = logging.getLogger(__name__)


class LocalProviderLockFiles(ProviderLockFiles):
    def inspect(self, path: str) -> LockFileStamp | None:
        try:
            st = os.lstat(path)
        except OSError:
            return None
        age_ms = max(0, (time.time_ns() - st.st_mtime_ns) // 1_000_000)
        return LockFileStamp(
            path=path,
            inode=st.st_ino,
            is_dir=stat.S_ISDIR(st.st_mode),
            mtime_ns=st.st_mtime_ns,
            age_ms=int(age_ms),
        )

    def remove_left_behind(self, stamp: LockFileStamp) -> bool:
        now = self.inspect(stamp.path)
        if now is None or (now.inode, now.mtime_ns, now.is_dir) != (stamp.inode, stamp.mtime_ns, stamp.is_dir):
            return False
        try:
            if stamp.is_dir:
                # rmdir removes only an empty folder: a lock that holds anything
                # is not one this library understands, and stays.
                os.rmdir(stamp.path)
            else:
                st = os.lstat(stamp.path)
                if not stat.S_ISREG(st.st_mode) or st.st_size != 0 or st.st_ino != stamp.inode:
                    return False
                os.unlink(stamp.path)
        except OSError as exc:
            if exc.errno not in (errno.ENOENT, errno.ENOTEMPTY, errno.EEXIST):
                log.debug("could not remove a left-behind provider lock: %s", exc.strerror)
            return False
        return True
