"""The capacity ramp as a Locust LoadTestShape. It reads Locust's common options, so a plain
`-u/-r/-t` run (and the web UI's fields) behave exactly as without a shape; `--spine-ramp`
turns it into a staircase that ends by itself."""
from __future__ import annotations

import logging

from locust import LoadTestShape

log = logging.getLogger("spine.ramp")


class CapacityRamp(LoadTestShape):
    use_common_options = True

    def __init__(self) -> None:
        super().__init__()
        self.announced = -1

    def reset_time(self) -> None:
        super().reset_time()
        self.announced = -1

    def tick(self) -> tuple[int, float] | None:
        options = self.runner.environment.parsed_options
        elapsed = self.get_run_time()
        stages = options.spine_ramp
        if not stages:
            if options.run_time and elapsed >= options.run_time:
                return None
            return options.num_users or 1, options.spawn_rate or 1
        index = int(elapsed // options.spine_ramp_step)
        if index >= len(stages):
            return None
        if index != self.announced:
            self.announced = index
            log.info("capacity ramp: stage %d/%d, %d users for %gs", index + 1, len(stages), stages[index],
                     options.spine_ramp_step)
        # Spawn each step within about a second, so a stage measures its user count, not the climb.
        return stages[index], max(float(stages[index]), options.spawn_rate or 1)
