"""How strong what an MFA implementation generates is, measured from a sample of its output:
the suites never trust a declared length, they count what varies.

The estimate is the sum, over symbol positions, of each position's Shannon entropy as the sample
shows it (the plug-in estimate with the Miller-Madow correction for the symbols a finite sample
has not seen). It is an upper bound for independent positions: it sees a short secret, a small
alphabet, constant padding or a fixed group at once, and a generator that repeats itself is
caught by counting repeats. TOTP secrets are judged bit by bit (bytes have too many values for
a sample of dozens), recovery codes character by character, as they are shown.
"""
from __future__ import annotations

import collections
import math
from collections.abc import Hashable, Iterable, Sequence

from spine_harness.mfa import totp


def bits(secret: bytes) -> tuple[int, ...]:
    """A secret as its bits, most significant first."""
    return tuple((byte >> (7 - n)) & 1 for byte in secret for n in range(8))


def positions(samples: Sequence[Sequence[Hashable]]) -> list[collections.Counter]:
    """Per position, how often each symbol appears across the sample (a shorter sample counts as
    a missing symbol, None, where it ends)."""
    width = max(map(len, samples), default=0)
    return [collections.Counter(s[i] if i < len(s) else None for s in samples) for i in range(width)]


def position_entropy(counts: collections.Counter) -> float:
    """One position's entropy in bits (Miller-Madow), never more than log2 of the symbols seen."""
    n = sum(counts.values())
    if n == 0 or len(counts) < 2:
        return 0.0
    plug_in = -sum(c / n * math.log2(c / n) for c in counts.values())
    corrected = plug_in + (len(counts) - 1) / (2 * n * math.log(2))
    return min(corrected, math.log2(len(counts)))


def estimated_bits(samples: Sequence[Sequence[Hashable]]) -> float:
    return sum(map(position_entropy, positions(samples)))


def near_constant_bits(samples: Sequence[Sequence[int]], tail: float = 1 / 8) -> list[int]:
    """Bit positions that are 1 in fewer than `tail` or more than 1 - `tail` of the sample. For
    64 random secrets a position lands there with odds of about 1 in 10^10."""
    n = len(samples)
    return [i for i, counts in enumerate(positions(samples)) if not tail * n <= counts.get(1, 0) <= (1 - tail) * n]


def repeated(samples: Iterable[Hashable]) -> int:
    """How many of the samples repeat an earlier one."""
    seen = list(samples)
    return len(seen) - len(set(seen))


def single_changes(code: str, alphabets: Sequence[Iterable[str]], avoid: Iterable[str] = ()) -> dict[int, str]:
    """For each position of `code`, the code with only that character replaced by another of the
    characters its position takes (`alphabets[i]`), avoiding any of `avoid` (codes that would
    rightly be accepted). Positions with one character only (a separator) have no variant."""
    avoid = set(avoid) | {code}
    changed = {}
    for i, current in enumerate(code):
        for other in sorted(set(alphabets[i]) - {current}):
            if other.casefold() == current.casefold():
                continue     # a verifier may rightly ignore case
            candidate = code[:i] + other + code[i + 1:]
            if candidate not in avoid:
                changed[i] = candidate
                break
    return changed


def wrong_totp_code(secret: bytes, at: float, window_steps: int = 2) -> str:
    """A code that differs from the right one at `at` in every digit and is the code of no step
    within `window_steps` of it: refused whatever the secret, by any verifier that compares."""
    window = {totp.code_at(secret, at + n * totp.STEP_SECONDS) for n in range(-window_steps, window_steps + 1)}
    right = totp.code_at(secret, at)
    return next(code for shift in range(5, 15)
                if (code := "".join(str((int(d) + shift) % 10) for d in right)) not in window)
