"""`civicdesk project [NAME...]` and `civicdesk rebuild NAME`: the read models' operator tools."""

from __future__ import annotations

import dataclasses
import logging
import signal
import sys
import threading
from typing import Any

from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.utils import Environment

from engine import failures
from engine.rebuild import BATCH_SIZE, GRACE_SECONDS, rebuild
from engine.runner import ProjectionSet
from infrastructure.bootstrap import build_desk
from infrastructure.settings import Settings
from projections.registry import specs_named


def run_projections(settings: Settings, names: list[str]) -> int:
    """Run the named projections (default: every one) until SIGTERM or SIGINT. A read model
    that fails is reported on standard error and tried again with backoff while the others
    go on (engine.failures); `civicdesk project --skip` is the way past a poison event.

    On PostgreSQL this lets the read models run in their own process: serve the API with
    CIVICDESK_RUN_PROJECTIONS=false beside it. Several such processes may run: each read
    model runs in whichever holds its advisory lock, and the others stand by to take over.
    """
    try:
        specs = specs_named(names)
    except KeyError as error:
        print(f"civicdesk: {error.args[0]}", file=sys.stderr)
        return 2
    logging.basicConfig(level=settings.log_level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    stopping = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stopping.set()

    previous = {number: signal.signal(number, on_signal)
                for number in (signal.SIGTERM, signal.SIGINT)}
    desk = build_desk(settings)
    projections = ProjectionSet(dataclasses.replace(settings, run_projections=True), desk,
                                specs)
    status = 0
    reported: dict[str, object] = {}
    try:
        projections.start()
        print(f"projecting: {', '.join(spec.name for spec in specs)}", flush=True)
        while not stopping.wait(0.5):
            for spec in specs:
                failed = projections.error(spec.name)
                if failed is not None and reported.get(spec.name) is not failed:
                    reported[spec.name] = failed
                    print(f"civicdesk: projection {spec.name} failed (trying it again): "
                          f"{failed}", file=sys.stderr, flush=True)
    finally:
        projections.stop()
        for report in projections.positions():
            print(f"{report.name}: position {report.position}, lag {report.lag}, "
                  f"generation {report.generation}", flush=True)
        projections.close()
        desk.close()
        for number, handler in previous.items():
            signal.signal(number, handler)
    return status


def rebuild_projection(settings: Settings, name: str, *, batch_size: int = BATCH_SIZE,
                       grace: float = GRACE_SECONDS, progress: bool = True) -> int:
    """Replay the whole log into new tables of projection `name`, with a progress bar, and
    switch them in once caught up; a running server reads the old tables until then and
    follows the new ones after."""
    try:
        [spec] = specs_named([name])
    except KeyError as error:
        print(f"civicdesk: {error.args[0]}", file=sys.stderr)
        return 2
    desk = build_desk(settings)
    try:
        done = rebuild(settings, desk, spec, batch_size=batch_size, grace=grace,
                       progress=progress)
    finally:
        desk.close()
    print(f"Rebuilt {done.name}: generation {done.generation} replaces {done.replaced}; "
          f"{done.events} events to position {done.position} in {done.seconds:.1f} s "
          f"({done.events_per_second:,.0f} events/s)")
    return 0


def skip_event(settings: Settings, name: str, position: int, reason: str) -> int:
    """Let read model `name` pass over the event at `position`, on which it failed: the skip
    is recorded (who, when, why) beside the failure, and the runner, wherever it runs, tracks
    that event without applying it at its next attempt. Exits 2 if no failure is recorded
    there (only an event that failed may be skipped)."""
    try:
        [spec] = specs_named([name])
    except KeyError as error:
        print(f"civicdesk: {error.args[0]}", file=sys.stderr)
        return 2
    if not reason.strip():
        print("civicdesk: --reason is required: say why the event may be skipped",
              file=sys.stderr)
        return 2
    factory: Any = InfrastructureFactory[Any].construct(
        Environment(spec.name, settings.eventsourcing_env()))
    try:
        view = factory.tracking_recorder(spec.view_class(settings))
        skipped = failures.skip(view, position, reason.strip())
    finally:
        factory.close()
    if skipped is None:
        print(f"civicdesk: read model {name} has no failure recorded at position {position}; "
              "nothing skipped", file=sys.stderr)
        return 2
    print(f"Skipped event {position} ({skipped.topic} {skipped.event_id}) for read model "
          f"{name}, by {skipped.skipped_by}: {skipped.skip_reason}")
    return 0
