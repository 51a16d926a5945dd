"""Walking a directory's text files: the static checks and the secret scrubber read whole trees
(stack/, the gate's artifacts) and must pass over binaries and unreadable files alike."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path


def text_files(root: Path, skip_names: tuple[str, ...] = ()) -> Iterator[tuple[Path, str]]:
    """(path, text) of every readable UTF-8 file under `root`, in name order; none if `root`
    does not exist."""
    root = Path(root)
    if not root.is_dir():
        return
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.name not in skip_names):
        try:
            yield path, path.read_text()
        except (UnicodeDecodeError, OSError):
            continue
