"""The locustfile's own command-line options, added through Locust's parser (so they work in
the config file, the environment (LOCUST_* and the SPINE_* names below), the web UI and every
worker), and the small type functions that refuse bad values with one sentence."""
from __future__ import annotations

import argparse

from spine_harness.config.values import positive_number


def ramp(value: str) -> list[int]:
    """`5,10,20,40` -> the user count of each ramp stage (rising, positive)."""
    try:
        counts = [int(part) for part in value.split(",") if part.strip()] if value else []
    except ValueError:
        counts = None
    if counts is None or any(c < 1 for c in counts) or counts != sorted(counts):
        raise argparse.ArgumentTypeError(f"--spine-ramp {value!r}: give rising user counts, e.g. 5,10,20,40")
    return counts


def add_options(parser) -> None:
    # Paths stay strings: the master sends the parsed options to its workers with msgpack.
    # Locust's own add_argument (not an argument group's) understands include_in_web_ui.
    # The target comes from the harness's settings (these options, else SPINE_TARGET and
    # SPINE_ATTACH), resolved in every process by spine_harness.capacity.run.
    parser.add_argument("--spine-target", default=None,
                        help="local (default; servers from `python -m spine_harness up`), compose or remote; "
                             "also SPINE_TARGET", include_in_web_ui=False)
    parser.add_argument("--spine-attach", default=None, metavar="FILE",
                        help="endpoints written by `python -m spine_harness up` (default: .spine/attach.json); "
                             "also SPINE_ATTACH", include_in_web_ui=False)
    parser.add_argument("--slo-p95-ms", type=positive_number, default=100.0,
                        help="the latency objective: the report finds the load where p95 crosses it (default 100)")
    parser.add_argument("--spine-ramp", type=ramp, default=[], metavar="USERS,USERS,...",
                        help="a capacity ramp: hold each user count for --spine-ramp-step seconds, then stop; "
                            "without it -u/-r/-t apply as usual")
    parser.add_argument("--spine-ramp-step", type=positive_number, default=15.0, metavar="SECONDS",
                        help="seconds per ramp stage (default 15)")
    parser.add_argument("--spine-report", default="reports/capacity", metavar="DIR",
                        help="where the capacity report goes (default reports/capacity)", include_in_web_ui=False)
    parser.add_argument("--spine-sample", type=positive_number, default=3.0, metavar="SECONDS",
                        help="seconds between samples of Locust's statistics and the servers (default 3)")
