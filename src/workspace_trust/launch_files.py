"""The files an environment patch needs for one launch, made by the host at launch time.

Some per-launch overrides are a file rather than a value: a CLI that reads its
trusted folders from whatever file an environment variable names (see
docs/providers.md). The plan stages write nothing, so such a patch carries the
file as data (:class:`~workspace_trust.domain.patches.PatchFile`) and the host
makes it here, around the launch::

    with launch_env(result.patches, provider=provider, env=os.environ) as env:
        subprocess.run(argv, env=env, cwd=folder)

How it is kept safe:

* **A new folder only the user can enter.** ``tempfile.mkdtemp`` (mode 0700,
  an unpredictable name) in ``temp_dir`` or the system temp folder, named as
  the library's scratch folders are; nobody else can read the file, replace
  it or plant one in its place.
* **The file is created, never opened.** ``O_CREAT | O_EXCL | O_NOFOLLOW``,
  mode 0600: an existing file or a symlink there is an error, not a target.
* **It lives exactly as long as the ``with`` block.** Keep the launched CLI
  inside it: the file is removed (with its folder) when the block ends, on
  every path, exceptions included. A CLI that reads the file again later (when
  it restarts itself, say) must still find it, so do not leave the block while
  the CLI runs. If the host is killed first, the folder is left and a
  later run sweeps it once the host's pid is gone (``adapters/scratch.py``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterable, Iterator, Mapping

from workspace_trust.adapters.scratch import make_scratch_dir
from workspace_trust.domain.codes import Provider
from workspace_trust.domain.patches import EnvPatch, PatchPlan

__all__ = ["launch_env"]

_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


@contextlib.contextmanager
def launch_env(
    patches: PatchPlan | Iterable[EnvPatch],
    *,
    provider: Provider | None = None,
    temp_dir: str | None = None,
    env: Mapping[str, str] | None = None,
) -> Iterator[dict[str, str]]:
    """The environment variables of ``patches`` (a plan's ``PatchPlan``, or its
    ``env_patches``; only ``provider``'s, when given) for one launch, with every
    file they name written to a fresh private folder; the folder is removed when
    the block ends. With ``env``, what is yielded is a copy of ``env`` with
    those variables set: the whole environment to launch the CLI with."""
    if isinstance(patches, PatchPlan):
        patches = patches.env_patches
    chosen = [p for p in patches if provider is None or p.target_provider is provider]
    values: dict[str, str] = dict(env) if env is not None else {}
    for patch in chosen:
        values.update(dict(patch.values))
    # The same file twice (one patch applied twice) is written once.
    files = list(dict.fromkeys(item for patch in chosen for item in patch.files))
    if not files:
        yield values
        return
    folder = make_scratch_dir(temp_dir)
    try:
        for item in files:
            path = os.path.join(folder, item.name)
            fd = os.open(path, _CREATE, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8", errors="surrogateescape") as handle:
                handle.write(item.content)
            values[item.variable] = path
        yield values
    finally:
        shutil.rmtree(folder, ignore_errors=True)
