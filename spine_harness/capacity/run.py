"""What a capacity run does around Locust's own machinery, hooked into its events:

- every process (standalone, master, each worker) resolves the target from the same
  configuration the suites use and leaves out the user classes the target cannot serve, saying why;
- the process that owns the statistics (standalone or master) samples them and the servers every
  few seconds while the test runs, and writes the capacity report when it stops.
"""
from __future__ import annotations

import logging
import sys
from pathlib import Path

import gevent
from locust.runners import WorkerRunner

from spine_harness.database.connections import connect
from spine_harness.capacity import population, capacity_report as report
from spine_harness.capacity.recorder import StatsRecorder
from spine_harness.capacity.sampling import ServerSampler
from spine_harness.capacity.stats import TOTAL
from spine_harness.capacity.target import database_dsn, running_target
from spine_harness.config.settings import Settings, SettingsError
from spine_harness.runs.redaction import MASKER, mask_standard_streams
from spine_harness.targets import Target, TargetUnavailable

log = logging.getLogger("spine")


def _stop(message: str) -> None:
    """Refuse to run, with one line and no traceback."""
    log.error("%s", message)
    sys.exit(2)


class LoadSession:
    """One per process; the locustfile's user classes read `target` and `population` from it."""

    def __init__(self) -> None:
        self.target: Target | None = None
        self.population = 0
        self.recorder: StatsRecorder | None = None
        self.sampler: ServerSampler | None = None
        self.loop: gevent.Greenlet | None = None

    # --- every process --------------------------------------------------------------------
    def on_init(self, environment, **_) -> None:
        options = environment.parsed_options
        mask_standard_streams()
        try:
            settings = Settings.resolve({"target": options.spine_target, "attach": options.spine_attach})
            MASKER.register(settings.secrets())
            self.target = running_target(settings)
        except (SettingsError, TargetUnavailable) as exc:
            _stop(str(exc))
        MASKER.register(self.target.secret_values())
        self._leave_out_unservable(environment)
        if any(getattr(cls, "uses_population", False) for cls in environment.user_classes):
            self.population = self._count_population()
        if not isinstance(environment.runner, WorkerRunner):
            environment.events.test_start.add_listener(self.on_test_start)
            environment.events.test_stop.add_listener(self.on_test_stop)

    def _leave_out_unservable(self, environment) -> None:
        for cls in list(environment.user_classes):
            reason = cls.unavailable_reason(self.target)
            if reason:
                log.warning("leaving out %s: %s", cls.__name__, reason)
                environment.user_classes.remove(cls)
                (environment.available_user_classes or {}).pop(cls.__name__, None)
        if not environment.user_classes:
            _stop(f"target '{self.target.title}' can serve none of the user classes")

    def _count_population(self) -> int:
        with connect(database_dsn(self.target), autocommit=True) as conn:
            count = population.count(conn)
        if count == 0:
            _stop(f"target '{self.target.title}' has no load users: run `python -m spine_harness seed` first")
        log.info("%s load users on target '%s'", f"{count:,}", self.target.title)
        return count

    # --- the process that owns the statistics --------------------------------------------------
    def on_test_start(self, environment, **_) -> None:
        runner = environment.runner
        self.recorder = StatsRecorder(environment.stats, lambda: runner.user_count)
        self.sampler = ServerSampler(self.target)
        self.sampler.sample()
        self.loop = gevent.spawn(self._sample_forever, environment.parsed_options.spine_sample)

    def _sample_forever(self, every: float) -> None:
        while True:
            gevent.sleep(every)
            window = self.recorder.sample()
            self.sampler.sample()
            figures = window.by_name.get(TOTAL)
            if figures is not None and figures.requests:
                log.info("%4.0fs %4d users %7.1f req/s p95 %s ms", window.end, window.users,
                         figures.rps, figures.p(0.95))

    def on_test_stop(self, environment, **_) -> None:
        if self.recorder is None:
            return
        self.loop.kill()
        self.recorder.sample()
        self.sampler.sample()
        self.sampler.close()
        options = environment.parsed_options
        run = report.CapacityRun(self.target.title, options.slo_p95_ms, self.recorder.windows,
                                 self.sampler.samples, self.sampler.notes, describe(options))
        files = report.write(run, Path(options.spine_report))
        for verdict in run.verdicts():
            log.info("%s", verdict.sentence())
        log.info("capacity report in %s", files[0].parent)
        self.recorder = None


def describe(options) -> str:
    if options.spine_ramp:
        return (f"ramp through {', '.join(map(str, options.spine_ramp))} users, "
                f"{options.spine_ramp_step:g} s per stage")
    limit = f" for {options.run_time} s" if options.run_time else ""
    return f"{options.num_users} users spawned at {options.spawn_rate:g}/s{limit}"
