"""Start the local Spine and keep it running until Ctrl-C, so that people, `locust` and
`pytest --spine-attach` can use it. Connection details (with passwords) go to a file readable
only by you; the terminal shows them with the password masked."""
from __future__ import annotations

import argparse
import re
import signal
import threading
from pathlib import Path

from spine_harness.paths import STATE_DIR
from spine_harness.targets.local import LocalSpine

HELP = "start the local Spine (Postgres 15 + PgBouncer) until Ctrl-C"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--attach-file", type=Path, default=STATE_DIR / "attach.json",
                        help="where to write the endpoints for `pytest --spine-attach` and locust (default: %(default)s)")


def masked(dsn: str) -> str:
    return re.sub(r"password=\S+", "password=****", dsn)


def run(args: argparse.Namespace) -> int:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with LocalSpine() as target:
        attach = target.write_attach_file(args.attach_file)
        print("local Spine is up", flush=True)
        print(f"  direct   {masked(target.direct_dsn)}")
        print(f"  pooler   {masked(target.pooler_dsn)}")
        print(f"  api      {masked(target.api_dsn)}")
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
