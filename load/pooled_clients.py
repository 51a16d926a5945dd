"""Pooled capacity in clients: every Locust user is one client that opens its connection through
the pooler when it starts and keeps it, doing the Spine's database mix with a think time
between requests, so N users are N open client connections sharing the pooler's server
connections. `python -m spine_harness pooled-clients` runs it through 100, 250, 500 and 1,000
clients; by hand:

    locust -f load/pooled_clients.py --headless --spine-ramp 100,250,500,1000 --spine-ramp-step 20

The target, the options and the capacity report are load/spine.py's (imported, so its user
classes stay out of this run)."""
import random

from locust import events

import spine  # load/spine.py, on Locust's path: the session, the options, the report
from spine_harness.capacity import shape

DEFAULT_THINK_SECONDS = 1.0
DEFAULT_SPAWN_RATE = 100.0


@events.init_command_line_parser.add_listener
def _think_option(parser):
    parser.add_argument("--spine-think", type=float, default=DEFAULT_THINK_SECONDS, metavar="SECONDS",
                        help="mean think time between a client's requests; each wait is uniform in "
                             "[0.5x, 1.5x] (default %(default)g)")
    parser.add_argument("--spine-spawn-rate", type=float, default=DEFAULT_SPAWN_RATE, metavar="PER_SECOND",
                        help="new clients per second at each step (default %(default)g): each one authenticates "
                             "(SCRAM) at the pooler, and a burst of 500 at once would measure the burst")


class PooledClientsRamp(shape.CapacityRamp):
    """The capacity ramp, with each step's new clients connecting at a bounded rate."""

    def tick(self):
        step = super().tick()
        if step is None:
            return None
        users, rate = step
        return users, min(rate, self.runner.environment.parsed_options.spine_spawn_rate)


class SpinePooledClient(spine.SpineDatabaseUser):
    """One application client holding one pooled connection: the database mix, with think time."""

    def wait_time(self):
        think = self.environment.parsed_options.spine_think
        return random.uniform(0.5 * think, 1.5 * think)

    def on_start(self):
        super().on_start()
        self.client.open()
