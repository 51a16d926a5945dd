"""Where the project's own files live, so nothing guesses at relative paths."""
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
STACK_DIR = REPO_ROOT / "stack"
SQL_DIR = REPO_ROOT / "sql"
LOCAL_SQL_DIR = SQL_DIR / "local"
RLS_EXPECTATIONS = SQL_DIR / "rls-expectations.yaml"
CONFORMANCE_DIR = REPO_ROOT / "conformance"
STATE_DIR = REPO_ROOT / ".spine"
