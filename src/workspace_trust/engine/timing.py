"""Named timing constants for the dialog engine and the session runner.

Every delay the library waits is here, with the reason for its value. Strategies
may pass a :class:`EngineTiming` with other values (tests use zero delays with a
fake clock), but none of these numbers is repeated inside a strategy.
"""

from __future__ import annotations

import attrs


@attrs.frozen(slots=True)
class EngineTiming:
    #: How often the runner reads a frame while waiting. Small, because reading
    #: only blocks until bytes arrive; this is the upper bound on reaction time.
    poll_ms: int = 15

    #: A dialog must have been on screen this long before the first key, and
    #: before any Enter. Claude Code 2.1.330 resets its selection ~140 ms after
    #: the trust dialog's first paint and undoes a move made before: a first
    #: Down sent 120 ms after paint was lost in 6 of 12 runs, at
    #: 170/200/230/250 ms in none of 15/15/15/12. Public reports for
    #: 2.1.278-2.1.281 describe the same plus a re-render 100-200 ms after
    #: paint. 220 ms keeps a margin for slower machines; the closed loop still
    #: catches a drop or a snap-back that comes later. Claude Code 2.1.332's
    #: bundle shows where the reset comes from: the trust dialog's option list
    #: is keyed by a timer state that turns "settled" 150 ms after the dialog
    #: mounts (and again 150 ms after any key it refuses as too early), and the
    #: new key remounts the list with the cursor on "No, exit". The remount
    #: draws nothing when the cursor is already there, so from outside it is
    #: seen only as the undo of a move made before it; on a loaded machine
    #: its timer fires late, after the settle. Hence the probe move below,
    #: whose undo ends the settle, and a session the CLI ends declining trust
    #: is recognised by its words and run once more. A rule may name its own
    #: (``DialogRule.settle_ms``), and end it on the drawn undo of an early move
    #: (``DialogRule.settle_ends_on_undo``).
    first_paint_settle_ms: int = 220

    #: After a move key, how long to wait for the cursor to move before the key
    #: is taken as dropped and may be sent again (counted against the cap).
    #: Claude 2.1.330 redraws the moved cursor within ~10 ms; 300 ms leaves
    #: room for a loaded machine while keeping the cost of a real drop small.
    key_echo_timeout_ms: int = 300

    #: Enter is pressed only when the cursor has been seen on the target row on
    #: two frames read after the last key, spanning at least this long.
    confirm_stable_ms: int = 25

    #: A move whose effect was never seen (taken as dropped at its echo
    #: timeout, and sent again) may still be in the CLI's queue: while one is
    #: unaccounted for, Enter waits until this long after the last move. On a
    #: loaded 2-core machine Copilot 1.0.102 drew a Down more than 300 ms late,
    #: after it had been sent again; the first Down's frame showed the cursor
    #: on the target, Enter followed 25 ms later, and the second Down, taken
    #: before it, put Enter on "No (Esc)" (1 of 30 racing runs next to a CPU
    #: load, keys down, down, enter; a CI run's failure of the same race on
    #: 1.0.89 fits it, but its keys were not recorded). The cursor moved by a late key
    #: resets the confirmation as any move does. A move that was really
    #: dropped costs this much once.
    unseen_move_grace_ms: int = 1500

    #: Most Up/Down presses for one dialog before the engine gives up (no Enter).
    max_moves_per_phase: int = 6

    #: After Enter on a rule with a retry policy, how long the same dialog may
    #: persist (cursor still on target) before Enter is pressed once more.
    enter_retry_ms: int = 1500

    #: A recognised dialog that disappears and comes back within this window is
    #: the same dialog re-rendering, not a new one.
    late_dialog_grace_ms: int = 250

    #: How often the success callback (the state probe) is polled once trust
    #: was confirmed. Reading ``.claude.json`` costs well under a millisecond.
    success_poll_ms: int = 10

    #: For this long after Enter, the probe is polled every
    #: ``success_fast_poll_ms`` instead: Claude Code writes trust 40-70 ms after
    #: Enter on an idle machine (bench/bench_claude.py), so a 10 ms poll adds up
    #: to 10 ms to every preflight; 2 ms costs a stat (the probe re-parses only
    #: when the file's stamp changed). Not a safety wait.
    success_fast_window_ms: int = 100
    success_fast_poll_ms: int = 2

    #: How long trust may take to reach the state file after the trust option
    #: was confirmed, before the run is reported as ``trust_not_persisted``.
    persist_timeout_ms: int = 8000

    #: An unrecognised frame that looks like a trust question (a cursor on an
    #: option list, and trust vocabulary: ``engine/candidate.py``) ends the
    #: session, with no key, once it has stayed unchanged this long. Measured
    #: over every recorded fixture (``scripts/measure_unknown_bounds.py``): an
    #: unrecognised candidate-looking frame stayed still at most 3 ms before a
    #: recognised screen replaced it (a partial paint, Claude 2.1.197), and any
    #: unrecognised non-blank frame at most 689 ms (Qwen 0.24.4's start-up).
    #: 1500 ms is twice the latter; a CLI that draws an unknown trust dialog
    #: within 1 s of the spawn is reported within about 3 s.
    unknown_dialog_settle_ms: int = 1500

    #: A dialog a selecting rule recognises, but on which no option is one the
    #: rule accepts (the target option missing or drawn twice: a Yes label with
    #: a suffix no rule knows), ends the session with no key once it has stayed
    #: unchanged this long (``unknown_trust_option``). Over every recorded
    #: fixture a recognised frame without its option stayed still at most 80 ms
    #: before the options were drawn (a partial paint, Claude 2.1.197; 9 ms Qwen
    #: 0.24.4, 2 ms Codex 0.169.0): the same 1500 ms as an unknown dialog is a
    #: margin of over 18 times.
    unknown_option_settle_ms: int = 1500

    #: Any other unrecognised, non-blank frame ends the session (``unknown_screen``,
    #: no key) once this long has passed since the spawn and it has stayed
    #: unchanged for ``unknown_screen_stable_ms``. Must cover a CLI's slowest
    #: start to its first recognised screen: Claude Code's first start in a
    #: new HOME took 13.5 s (2.1.197), and with ANTHROPIC_API_KEY set 2.1.330
    #: drew its first recognised screen at 18.6 s (the custom-api-key fixture;
    #: blank until then). 25 s keeps a margin over both and still ends 20 s
    #: before the 45 s budget.
    unknown_screen_after_ms: int = 25000
    unknown_screen_stable_ms: int = 3000

    #: One budget for the whole session, from spawn to result (not per phase).
    #: Claude Code's first start in a fresh HOME took 13.5 s (2.1.197), so the
    #: default leaves room for it.
    total_budget_ms: int = 45000

    #: After SIGTERM to the process group, how long to wait before SIGKILL.
    term_grace_ms: int = 300

    #: After the TERM grace, SIGKILL is held back this long at most, until the
    #: CLI has exited, for a CLI that keeps a lock on its state file:
    #: Claude Code takes its config lock at exit to save, and a SIGKILL inside
    #: that window leaves ``.claude.json.lock`` behind, so that every Claude
    #: started in the next ~10 s cannot save trust (seen on 2.1.332 with eight
    #: preflights at once). A save takes milliseconds; the bound is for a CLI
    #: that hangs while holding it.
    provider_lock_release_ms: int = 5000

    #: A provider lock found before spawning that is not ours is waited for
    #: until it is released or older than the provider's stale time (then the
    #: CLI takes it over itself), plus this margin for the CLI's own retries.
    provider_lock_stale_margin_ms: int = 1500


DEFAULT_TIMING = EngineTiming()
