"""Start the local Spine and keep it running until Ctrl-C, so that people, `locust` and
`pytest --spine-attach` can use it. Connection details (with passwords) go to a file readable
only by you; the terminal shows them with the password masked."""
from __future__ import annotations

import argparse
import signal
import threading
from pathlib import Path

from spine_harness.config.paths import STATE_DIR
from spine_harness.config.settings import Settings
from spine_harness.targets.local import LocalSpine
from spine_harness.targets.model import masked_dsn

HELP = "start the local Spine (Postgres 15 + PgBouncer) until Ctrl-C"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--spine-attach", type=Path, default=STATE_DIR / "attach.json", metavar="FILE",
                        help="where to write the endpoints for `pytest --spine-attach` and locust "
                             "(default: %(default)s)")


def run(args: argparse.Namespace) -> int:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with LocalSpine(Settings.resolve()) as target:
        attach = target.write_attach_file(args.spine_attach)
        print("local Spine is up", flush=True)
        print(f"  direct   {masked_dsn(target.direct_dsn)}")
        print(f"  pooler   {masked_dsn(target.pooler_dsn)}")
        print(f"  api      {masked_dsn(target.api_dsn)}")
        print(f"  endpoints with passwords: {attach} (mode 0600)")
        print(f"  use it:   pytest conformance --spine-attach {attach}")
        print("Ctrl-C stops it and removes its data.", flush=True)
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
        finally:
            attach.unlink(missing_ok=True)
    print("local Spine stopped and removed.")
    return 0
