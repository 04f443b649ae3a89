"""Telling the console how far the read models have caught up with the log.

`serve` starts with read models behind whenever events were recorded while no process ran them:
after loading the demo, after an upgrade that rebuilds a read model, after downtime. Until they
catch up, queues and boards are partial and `/ready` answers 503; this says so, and how long it
will take. On a terminal it draws a progress bar (tqdm, on standard error); otherwise (a service
manager, a container) it logs a line every LOG_SECONDS. Both count the events the read models
still have to apply, summed over them, against what they had to apply when it began.
"""

from __future__ import annotations

import logging
import sys
import threading
from time import monotonic
from typing import IO, Any

from tqdm import tqdm  # type: ignore[import-untyped]

from engine.spec import FAILED

log = logging.getLogger("civicdesk.projections")

POLL_SECONDS = 0.25
LOG_SECONDS = 5.0
GIVE_UP_SECONDS = 60.0  # how long a read model may keep failing before it stops waiting


def _behind(projections: Any, head: int) -> dict[str, int]:
    """Events each read model still has to apply to reach `head` (0 for one that has)."""
    found = {}
    for position in projections.positions():
        found[position.name] = max(head - position.position, 0) if position.ready else head
    return found


def _failed(projections: Any) -> list[str]:
    return [p.error or p.name for p in projections.positions() if p.role == FAILED]


def show_catch_up(projections: Any, *, head: int | None = None, stream: IO[str] | None = None,
                  bar: bool | None = None, stop: threading.Event | None = None,
                  timeout: float | None = None) -> bool:
    """Show the read models of `projections` (an engine.runner.ProjectionSet, started here or
    about to be) catching up to `head` (default: the head of the log now), until they all
    have. Returns True once they have; False if `stop` was set, `timeout` seconds passed, or
    one kept failing for GIVE_UP_SECONDS (a failed read model is retried meanwhile). `bar`
    (default: whether `stream` is a terminal) picks the progress bar over log lines."""
    stream = stream or sys.stderr
    head = projections.desk.log_position() if head is None else head
    behind = _behind(projections, head)
    total = sum(behind.values())
    started = monotonic()
    if total == 0:
        return True
    log.info("read models catching up: %s events to apply to reach position %d (%s)",
             f"{total:,}", head, ", ".join(f"{n} {b:,} behind" for n, b in behind.items() if b))
    if bar is None:
        bar = bool(getattr(stream, "isatty", lambda: False)())
    shown = tqdm(total=total, unit="event", unit_scale=True, file=stream, disable=not bar,
                 desc="read models catching up", dynamic_ncols=True)
    logged_at = monotonic()
    caught_up = False
    failing_since: float | None = None
    told: list[str] = []
    try:
        while True:
            behind = _behind(projections, head)
            left = sum(behind.values())
            shown.update(total - left - shown.n)
            if left == 0:
                caught_up = True
                break
            failed = _failed(projections)
            if failed:
                # A failed read model is tried again (engine.runner): wait for it a while.
                failing_since = failing_since or monotonic()
                if failed != told:
                    log.warning("read models not caught up: %s", "; ".join(failed))
                    told = failed
                if monotonic() - failing_since > GIVE_UP_SECONDS:
                    log.error("read models still failing after %.0f s; going on without "
                              "them (/ready says why)", GIVE_UP_SECONDS)
                    break
            else:
                failing_since, told = None, []
            if timeout is not None and monotonic() - started > timeout:
                break
            if not bar and monotonic() - logged_at >= LOG_SECONDS:
                logged_at = monotonic()
                log.info("read models catching up: %d%% (%s of %s events applied; %s)",
                         100 * (total - left) // total, f"{total - left:,}", f"{total:,}",
                         ", ".join(f"{n} {b:,} behind" for n, b in behind.items() if b))
            if stop is not None and stop.wait(POLL_SECONDS):
                break
            if stop is None:
                threading.Event().wait(POLL_SECONDS)
    finally:
        shown.close()
    if caught_up:
        log.info("read models caught up with the log at position %d in %.1f s", head,
                 monotonic() - started)
    return caught_up


def show_catch_up_in_background(projections: Any) -> threading.Event:
    """`show_catch_up` in a daemon thread; set the returned event to end it early."""
    stop = threading.Event()

    def run() -> None:
        try:
            show_catch_up(projections, stop=stop)
        except Exception as error:  # the database went away: nothing more to tell
            log.warning("read models' progress: %r", error)

    threading.Thread(target=run, daemon=True, name="civicdesk-catch-up-progress").start()
    return stop
