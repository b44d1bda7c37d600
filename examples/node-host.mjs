#!/usr/bin/env node
// A tiny host in Node.js, written from docs/cli.md and the JSON Schemas alone
// (`workspace-trust schema preflight`, `workspace-trust schema error`). No npm
// dependencies: plain `node` (18 or later).
//
//   node examples/node-host.mjs DIR [DIR ...] [-- PREFLIGHT-OPTION ...]
//
// It runs `workspace-trust preflight DIR ... --json PREFLIGHT-OPTION ...`,
// reads the one JSON document on stdout, and decides for every DIR what a
// launcher would do: launch, launch with the per-launch patches, launch
// knowing the CLI may still ask, refuse, or stop. It prints that decision as
// one JSON object on stdout and exits with workspace-trust's exit code (a
// usage error: 2). It launches nothing itself.
//
// WORKSPACE_TRUST_CMD names the command: a JSON array such as
// '["python3", "-m", "workspace_trust"]', or a path; default "workspace-trust".

import { spawn } from "node:child_process";

// docs/cli.md, "Exit codes".
const EXIT = { OK: 0, SOFT_FAILED: 1, USAGE: 2, BLOCKED: 3, CANCELLED: 130 };
// What a host does with each row status (docs/cli.md, "preflight --json").
const DECISION = {
  already_trusted: "launch",
  accepted: "launch",
  already_trusted_after_wait: "launch",
  not_required: "launch",
  patched: "launch_with_patches",
  soft_failed: "launch_may_prompt",
  skipped: "launch_may_prompt",
  blocked: "refuse",
  cancelled: "stop",
};

function command() {
  const raw = process.env.WORKSPACE_TRUST_CMD;
  if (!raw) return ["workspace-trust"];
  return raw.trim().startsWith("[") ? JSON.parse(raw) : [raw];
}

function splitArgs(argv) {
  const at = argv.indexOf("--");
  return at < 0 ? [argv, []] : [argv.slice(0, at), argv.slice(at + 1)];
}

function runPreflight(dirs, options) {
  const [file, ...prefix] = command();
  const args = [...prefix, "preflight", ...dirs, ...options, "--json"];
  return new Promise((resolve, reject) => {
    // stderr is progress for people: passed through as it comes.
    const child = spawn(file, args, { stdio: ["ignore", "pipe", "inherit"] });
    const chunks = [];
    child.stdout.on("data", (chunk) => chunks.push(chunk));
    child.on("error", reject);
    // An interrupt reaches workspace-trust too (same process group); it then
    // kills what it started and reports "cancelled" (130). Wait for that.
    const ignore = () => {};
    process.on("SIGINT", ignore);
    process.on("SIGTERM", ignore);
    child.on("close", (code, signal) => {
      process.off("SIGINT", ignore);
      process.off("SIGTERM", ignore);
      resolve({ code, signal, stdout: Buffer.concat(chunks).toString("utf8") });
    });
  });
}

// The launch of one provider in one folder, with what the document says to add.
function launchFor(doc, row) {
  const launch = { provider: row.provider, cwd: row.workspace, args: [], env: {}, files: [] };
  // A path that is not valid Unicode: the exact bytes, for a spawn that takes bytes.
  if (row.workspace_bytes) launch.cwd_bytes = row.workspace_bytes;
  if (row.status !== "patched") return launch;
  // docs/cli.md, "plan --json": the provider's own fields are ready to use.
  const own = doc.provider_fields?.[row.provider] ?? {};
  if (row.provider === "codex") {
    for (const value of own.config_overrides ?? []) launch.args.push("-c", value);
  }
  if (row.provider === "gemini") Object.assign(launch.env, own.env ?? {});
  // Any provider (a plug-in too): the generic patches that name this row.
  for (const patch of doc.env_patches ?? []) {
    if (patch.target_provider !== row.provider) continue;
    if (!patch.source_workspace_ids.includes(row.workspace_id)) continue;
    Object.assign(launch.env, patch.values);
    // Each file is made by the host for the launch (0700 folder, 0600 file), removed after.
    for (const file of patch.files ?? []) launch.files.push(file);
  }
  if (row.provider !== "codex" && row.provider !== "gemini") {
    for (const patch of doc.patches ?? []) {
      if (patch.target_provider === row.provider && patch.target_surface === "primary_provider_args") {
        launch.args.push(...patch.values);
      }
    }
  }
  return launch;
}

function decide(doc, code) {
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    return { outcome: "broken_contract", reason: "stdout is not one JSON object" };
  }
  if (doc.version !== "1") return { outcome: "broken_contract", reason: `unknown version ${doc.version}` };
  if (doc.error) {
    // docs/cli.md, "Errors: the error document".
    if (doc.error.code === "usage") {
      return { outcome: "usage_error", message: doc.error.message, command: doc.command };
    }
    // internal_error (exit 1), or a code added later: launch without a guarantee.
    return { outcome: "launch_unprepared", error: doc.error.code, message: doc.error.message };
  }
  const inputs = [];
  for (const [index, row] of doc.results.entries()) {
    // A status this host does not know yet: decide by the exit code that came with it.
    let decision = DECISION[row.status];
    if (decision === undefined) {
      decision = code === EXIT.SOFT_FAILED ? "launch_may_prompt" : code === EXIT.CANCELLED ? "stop" : "refuse";
    }
    const entry = {
      input: row.input,
      provider: row.provider,
      status: row.status,
      code: row.code,
      decision,
      // If this launch then fails for workspace trust: retry once (with
      // --attempt 2) only where the preflight row allows it.
      retry_on_trust_failure: row.retry?.allowed === true,
    };
    if (row.duplicate_of !== null) {
      // Another argument named the same folder: the work was done for that row.
      entry.same_as = doc.results[row.duplicate_of].input;
      if (doc.results[row.duplicate_of].provider !== row.provider) {
        return { outcome: "broken_contract", reason: `row ${index} points at another provider's row` };
      }
    }
    if (decision.startsWith("launch")) entry.launch = launchFor(doc, row);
    inputs.push(entry);
  }
  const outcome = {
    [EXIT.OK]: "launch",
    [EXIT.SOFT_FAILED]: "launch_may_prompt",
    [EXIT.BLOCKED]: "refuse_blocked",
    [EXIT.CANCELLED]: "stopped",
  }[code];
  // Facts to keep with the launch (docs/cli.md, "manifest"), in the row vocabulary.
  const manifest = doc.manifest.strategy_results.map((r) => ({
    provider: r.provider,
    status: r.status,
    code: r.code,
    dialogs: r.dialogs,
    keys: r.keys,
  }));
  // Which workspace-trust wrote the document: kept with the launch's record.
  return {
    outcome: outcome ?? "unknown_exit_code",
    status: doc.status,
    workspace_trust_version: doc.workspace_trust_version,
    inputs,
    manifest,
  };
}

async function main() {
  const [dirs, options] = splitArgs(process.argv.slice(2));
  let ran;
  try {
    ran = await runPreflight(dirs, options);
  } catch (err) {
    process.stdout.write(JSON.stringify({ outcome: "not_started", reason: String(err.message) }) + "\n");
    return 127;
  }
  let doc;
  try {
    // docs/cli.md: exactly one JSON object, on one line.
    const lines = ran.stdout.split("\n").filter((line) => line !== "");
    if (lines.length !== 1) throw new Error(`${lines.length} lines on stdout`);
    doc = JSON.parse(lines[0]);
  } catch (err) {
    const out = { outcome: "broken_contract", reason: String(err.message), exit_code: ran.code, signal: ran.signal };
    process.stdout.write(JSON.stringify(out) + "\n");
    return 70;
  }
  const decision = decide(doc, ran.code);
  process.stdout.write(JSON.stringify({ exit_code: ran.code, ...decision }) + "\n");
  return decision.outcome === "broken_contract" ? 70 : ran.code;
}

process.exitCode = await main();
