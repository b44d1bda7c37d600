"""What a cold start loads: ``import workspace_trust`` and the CLI's read-only
commands load no PTY, screen renderer, asyncio, file lock or redaction
patterns, and compile no failure pattern; and the pure API works where the PTY
modules cannot load at all (Windows has no ``fcntl``, ``termios`` or ``pty``).

Each check runs in a fresh interpreter, since this test process has loaded
everything long ago.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from typing import Any

#: Modules only a preflight (or a failure classification) needs.
HEAVY = (
    "pyte",
    "ptyprocess",
    "asyncio",
    "filelock",
    "fcntl",
    "termios",
    "pty",
    "workspace_trust.redaction",
    "workspace_trust.adapters.pty_process",
    "workspace_trust.adapters.screen",
    "workspace_trust.adapters.help",
    "workspace_trust.fixtures",
    "workspace_trust.recorder",
    # The lock adapter (and hashlib, tempfile) is for a preflight; the help
    # text's lock folder is worked out when help is shown.
    "workspace_trust.adapters.locks",
    # Loaded only when an installed distribution may declare a provider plug-in.
    "importlib.metadata",
    # The diagnostics manifest (and its budget) is made from a preflight's result.
    "workspace_trust.diagnostics",
    # A session's scratch folder, the process table, and the pool the sessions run in.
    "tempfile",
    "workspace_trust.adapters.scratch",
    "workspace_trust.adapters.processes",
    "concurrent.futures",
    # What a PTY session checks and reports as it runs, and how it ended.
    "workspace_trust.session",
    "workspace_trust.folder_check",
    "workspace_trust.providers.pty_outcome",
    "workspace_trust.providers.pty_progress",
)


def _run(*parts: str, tmp_path: object) -> dict[str, Any]:
    code = "\n".join(textwrap.dedent(part) for part in parts)
    env = {k: v for k, v in os.environ.items() if not k.startswith("WORKSPACE_TRUST_")}
    env["HOME"] = str(tmp_path)
    env["XDG_CACHE_HOME"] = os.path.join(str(tmp_path), "cache")
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    last = done.stdout.strip().splitlines()[-1]
    out: dict[str, Any] = json.loads(last)
    return out


_REPORT = f"""
import json, sys

heavy = [m for m in {HEAVY!r} if m in sys.modules]
specs = sys.modules["workspace_trust.providers"].all_specs() if "workspace_trust.providers" in sys.modules else ()
# A failure pattern is compiled when it is a compiled ``re.Pattern`` or a
# ``Phrase`` that has been searched.
compiled = [
    row.id
    for spec in specs
    for row in spec.failure_patterns
    if row.text is not None and getattr(row.text, "compiled", True)
]
print(json.dumps({{"heavy": heavy, "compiled": compiled}}))
"""


def test_import_loads_nothing_heavy(tmp_path: object) -> None:
    found = _run(
        """
        import json, sys
        import workspace_trust
        """,
        _REPORT,
        tmp_path=tmp_path,
    )
    assert found == {"heavy": [], "compiled": []}


def _cli(argv: list[str]) -> str:
    return f"""
        import contextlib, io, sys
        from workspace_trust.cli import main
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            try:
                main({argv!r})
            except SystemExit:
                pass
        """


def test_version_status_and_plan_load_nothing_heavy(tmp_path: object) -> None:
    folder = os.path.join(str(tmp_path), "project")
    os.mkdir(folder)
    every = ",".join(_provider_names())
    for argv in (
        ["--version"],
        ["status", folder, "--json", "--provider", every],
        ["status", folder, "--provider", every],
        ["plan", folder, "--json", "--provider", every],
        ["plan", folder, "--provider", every],
    ):
        found = _run(_cli(argv), _REPORT, tmp_path=tmp_path)
        assert found == {"heavy": [], "compiled": []}, argv


def test_status_of_one_provider_loads_no_other_providers_parts(tmp_path: object) -> None:
    """``status DIR`` (Claude, the default) reads Claude's state file alone: no
    other provider's probe or strategy loads, nor the override floors, which
    only a patched launch checks."""
    folder = os.path.join(str(tmp_path), "project")
    os.mkdir(folder)
    others = [name for name in _provider_names() if name != "claude"]
    names = [f"workspace_trust.providers.{name}.{part}" for name in others for part in ("probe", "strategy")]
    names.append("workspace_trust.providers.override_floors")
    found = _run(
        _cli(["status", folder, "--json"]),
        f"""
        import json, sys
        print(json.dumps({{"loaded": [m for m in {names!r} if m in sys.modules],
                          "claude": "workspace_trust.providers.claude.probe" in sys.modules}}))
        """,
        tmp_path=tmp_path,
    )
    assert found == {"loaded": [], "claude": True}


def test_the_check_sees_a_heavy_import(tmp_path: object) -> None:
    # The report above can fail: a preflight's modules and a classification's
    # compiled patterns show up in it.
    found = _run(
        """
        import workspace_trust.adapters.pty_process
        from workspace_trust import classify_failure
        classify_failure("workspace trust is not accepted")
        """,
        _REPORT,
        tmp_path=tmp_path,
    )
    assert "ptyprocess" in found["heavy"] and "workspace_trust.redaction" in found["heavy"]
    assert found["compiled"]


def _provider_names() -> list[str]:
    from workspace_trust.providers import all_specs

    return [spec.id.value for spec in all_specs()]


#: Makes ``fcntl``, ``termios`` and ``pty`` unimportable, as on Windows.
_NO_PTY = """
import sys
for name in ("fcntl", "termios", "pty", "tty"):
    sys.modules[name] = None  # an import of it raises ImportError
"""


def test_the_pure_api_works_where_no_pty_module_loads(tmp_path: object) -> None:
    found = _run(
        _NO_PTY,
        """
        import json
        import workspace_trust as wt
        from workspace_trust.providers import all_specs

        providers = tuple(spec.id for spec in all_specs())
        request = wt.WorkspaceTrustRequest(
            workspaces=(wt.WorkspaceSpec("/srv/work/project"),),
            providers=providers,
            env={"HOME": "/home/ana"},
        )
        plan = wt.WorkspaceTrustCoordinator().plan_args_only(request)
        patched = []
        for patch in plan.patches.arg_patches:
            applied = wt.apply_patches(
                ["--model", "x"], [patch], argv_provider=patch.target_provider, surface=patch.target_surface
            )
            patched.append(len(applied.applied))
        classified = wt.classify_failure("Error: workspace trust is not accepted", 1)
        print(json.dumps({
            "patches": len(plan.patches.arg_patches) + len(plan.patches.env_patches),
            "patched": patched,
            "classified": classified.code.value if classified else None,
        }))
        """,
        tmp_path=tmp_path,
    )
    assert found["patches"], found
    assert found["classified"] == "workspace_trust_required"
    assert sum(found["patched"]) >= 1


def test_the_blocked_modules_really_are_blocked(tmp_path: object) -> None:
    found = _run(
        _NO_PTY,
        """
        import json
        try:
            import ptyprocess  # needs termios and pty
            loaded = True
        except ImportError:
            loaded = False
        print(json.dumps({"loaded": loaded}))
        """,
        tmp_path=tmp_path,
    )
    assert found == {"loaded": False}


def test_the_plugin_scan_skips_importlib_metadata_only_when_no_distribution_declares_the_group(
    tmp_path: object, monkeypatch: Any
) -> None:
    from workspace_trust import providers

    site = os.path.join(str(tmp_path), "site")
    other = os.path.join(site, "other-1.0.dist-info")
    os.makedirs(other)
    with open(os.path.join(other, "entry_points.txt"), "w", encoding="utf-8") as handle:
        handle.write("[console_scripts]\nother = other:main\n")
    monkeypatch.setattr(sys, "path", [site, os.path.join(str(tmp_path), "missing")])
    assert providers._may_declare_plugins() is False
    plugin = os.path.join(site, "toy-1.0.dist-info")
    os.makedirs(plugin)
    with open(os.path.join(plugin, "entry_points.txt"), "w", encoding="utf-8") as handle:
        handle.write(f"[{providers.ENTRY_POINT_GROUP}]\ntoy = toy.spec:SPEC\n")
    assert providers._may_declare_plugins() is True
    # A zip on the path cannot be listed: importlib.metadata decides.
    archive = os.path.join(str(tmp_path), "lib.zip")
    with open(archive, "wb") as handle:
        handle.write(b"PK")
    monkeypatch.setattr(sys, "path", [site.replace("site", "nothing"), archive])
    assert providers._may_declare_plugins() is True


#: What loading the provider specs must not import: each provider's strategy and
#: rule table load when a session needs them, its probe when its state file is
#: read, the classifier when a failure is classified, tomllib when Codex's config
#: or an override is parsed, and tomlkit when a Codex patch is rendered.
_NOT_WITH_SPECS = (
    "tomlkit",
    "tomllib",
    "workspace_trust.classifier",
    "workspace_trust.engine.rules",
    "workspace_trust.engine.dialog",
    "workspace_trust.runner",
    "workspace_trust.providers.pty_strategy",
)


def _spec_modules_loaded() -> str:
    return f"""
        import json, sys
        from workspace_trust.providers import all_specs

        specs = all_specs()
        names = {_NOT_WITH_SPECS!r} + tuple(
            f"workspace_trust.providers.{{spec.id.value}}.{{part}}" for spec in specs for part in ("strategy", "rules", "probe")
        )
        print(json.dumps({{"loaded": sorted(n for n in names if n in sys.modules), "specs": len(specs)}}))
        """


def test_loading_every_spec_loads_no_strategy_rules_or_toml_writer(tmp_path: object) -> None:
    found = _run(_spec_modules_loaded(), tmp_path=tmp_path)
    assert found["specs"] >= 5
    assert found["loaded"] == []


def test_a_spec_still_gives_its_rules_and_strategies_when_asked(tmp_path: object) -> None:
    # The lazy fields are the same values the modules define, and the check
    # above sees them once they are used.
    found = _run(
        """
        from workspace_trust.providers import all_specs
        from workspace_trust.providers.claude.rules import CLAUDE_RULES

        spec = all_specs()[0]
        assert spec.rules is CLAUDE_RULES
        assert spec.mode("pty").factory().provider is spec.id
        """,
        _spec_modules_loaded(),
        tmp_path=tmp_path,
    )
    assert "workspace_trust.engine.rules" in found["loaded"]
    assert "workspace_trust.providers.claude.strategy" in found["loaded"]


def test_status_of_one_provider_loads_no_other_providers_session_modules(tmp_path: object) -> None:
    folder = os.path.join(str(tmp_path), "project")
    os.mkdir(folder)
    found = _run(_cli(["status", folder, "--json", "--provider", "claude"]), _spec_modules_loaded(), tmp_path=tmp_path)
    others = [
        name
        for name in found["loaded"]
        if name.startswith("workspace_trust.providers.") and name.split(".")[2] in _provider_names()[1:]
    ]
    assert others == []
    # Its own strategy, to probe, but no rule table, engine or runner: those
    # load when a session starts.
    assert [name for name in found["loaded"] if ".providers." not in name] == []
    assert "workspace_trust.providers.claude.rules" not in found["loaded"]
    assert "tomlkit" not in found["loaded"]


def test_the_renderer_loads_after_the_spawn(tmp_path: object) -> None:
    # The CLI starts before pyte is imported; the import then overlaps the
    # CLI's own start-up instead of delaying it.
    found = _run(
        """
        import json, os, sys
        from workspace_trust.adapters.pty_process import PtyProcessSpawner
        from workspace_trust.ports import SpawnSpec

        session = PtyProcessSpawner().spawn(
            SpawnSpec(argv=("sleep", "5"), cwd=os.getcwd(), env={"PATH": os.environ["PATH"]})
        )
        try:
            at_spawn = "pyte" in sys.modules
            session.read_snapshot(10)
            at_read = "pyte" in sys.modules
        finally:
            session.kill()
        print(json.dumps({"at_spawn": at_spawn, "at_read": at_read}))
        """,
        tmp_path=tmp_path,
    )
    assert found == {"at_spawn": False, "at_read": True}


def test_every_specs_lazy_fields_resolve_to_its_own_provider() -> None:
    # Each built-in names its strategies and rules by functions: every one of
    # them imports and returns this provider's own.
    from workspace_trust.providers import all_specs

    for spec in all_specs():
        assert spec.rules is not None and spec.rules.provider == spec.id.value, spec.id
        for mode in spec.modes:
            assert mode.factory().provider is spec.id, (spec.id, mode.name)
