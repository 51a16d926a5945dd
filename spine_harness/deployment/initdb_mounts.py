"""How the db container builds the schemas: the project's sql/*.sql, mounted read-only into
the supabase/postgres image's migrations directory so that they run after the image's own
init (roles, auth, storage, its timestamped migrations) and in the same order the local
target applies them. sql/local/ is the local target's stand-in for that image: never mounted."""
from __future__ import annotations

import os
import re
from pathlib import Path

from spine_harness.config.paths import LOCAL_SQL_DIR, STACK_DIR
from spine_harness.database.schema_files import project_sql_files
from spine_harness.deployment.compose import Service

MIGRATIONS_DIR = "/docker-entrypoint-initdb.d/migrations"
MOUNT_PREFIX = "99-spine-"
# The image's own migrations are named by timestamp (20211115181400_...).
IMAGE_MIGRATION_EXAMPLE = "20251231235959_image-migration.sql"


def expected_source(sql_file: Path) -> str:
    """The mount source as the compose file writes it: relative to the stack directory of the
    repository (a canary's copy of stack/ is read as if it stood there)."""
    return os.path.relpath(sql_file, STACK_DIR)


def _collation_keys(name: str) -> tuple[str, str]:
    """Byte order, and the order a glob sorts in under en_US.UTF-8 (punctuation ignored first)."""
    return name, re.sub(r"[^0-9A-Za-z]", "", name).lower()


def problems(db: Service) -> list[str]:
    mounts = [m for m in db.mounts if m.is_bind]
    found = []
    local_dir = expected_source(LOCAL_SQL_DIR)
    for m in mounts:
        if m.source.rstrip("/").startswith(local_dir):
            found.append(f"{m.source} is mounted at {m.target}: sql/local/ is for the local target only")
    project = []
    for sql_file in project_sql_files():
        source = expected_source(sql_file)
        hits = [m for m in mounts if m.source == source]
        if not hits:
            found.append(f"{source} is not mounted into the db container")
            continue
        m = hits[0]
        project.append(m)
        if Path(m.target).parent.as_posix() != MIGRATIONS_DIR:
            found.append(f"{source} is mounted at {m.target}, not in {MIGRATIONS_DIR}/")
        if not Path(m.target).name.startswith(MOUNT_PREFIX):
            found.append(f"{source} is mounted as {Path(m.target).name}: name it {MOUNT_PREFIX}{sql_file.name} "
                         "so it sorts after the image's migrations")
        if not m.read_only:
            found.append(f"{source} is mounted writable: add :ro")
    targets = [Path(m.target).name for m in project]
    for key in (0, 1):
        if [t for t in sorted(targets, key=lambda t: _collation_keys(t)[key])] != targets:
            found.append(f"the project's SQL would run in the order {sorted(targets)}, not sql/'s order")
            break
    others = [Path(m.target).name for m in mounts if Path(m.target).parent.as_posix() == MIGRATIONS_DIR
              and m not in project] + [IMAGE_MIGRATION_EXAMPLE]
    for t in targets:
        for other in others:
            if any(_collation_keys(t)[k] < _collation_keys(other)[k] for k in (0, 1)):
                found.append(f"{t} would run before {other}")
    return found
