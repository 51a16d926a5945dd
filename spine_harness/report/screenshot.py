"""Looking at the report as a person would: headless Chromium renders the page to a PNG, and
the picture is judged not empty and not broken (the page's banner colour is there, and the
image is not one flat colour)."""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars")
BANNER_RGB = (0x1F, 0x4E, 0x79)   # the report's h1 background (render._CSS)


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def screenshot(page: Path, png: Path, width: int = 1200, height: int = 2400) -> Path:
    binary = chromium()
    if binary is None:
        raise RuntimeError("Chromium is not installed (Debian package `chromium`; `make setup` installs it)")
    with tempfile.TemporaryDirectory(prefix="spine-chromium-") as profile:
        proc = subprocess.run([binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                               f"--window-size={width},{height}", f"--screenshot={png}", page.resolve().as_uri()],
                              capture_output=True, text=True, timeout=120)
    if not png.exists():
        raise RuntimeError(f"Chromium wrote no screenshot (exit {proc.returncode}): {proc.stderr[-800:]}")
    return png


def looks_rendered(png: Path) -> tuple[bool, str]:
    """Not blank (several colours, real variation) and the banner is painted."""
    import matplotlib.image as mpimg
    import numpy as np
    pixels = (mpimg.imread(png)[..., :3] * 255).round().astype(int)
    distinct = len(np.unique(pixels.reshape(-1, 3), axis=0))
    banner = np.all(np.abs(pixels - np.array(BANNER_RGB)) <= 3, axis=-1).mean()
    ink = (pixels.sum(axis=-1) < 600).mean()     # anything darker than near-white
    ok = distinct > 50 and banner > 0.002 and ink > 0.02
    return ok, f"{distinct} distinct colours, banner {banner:.2%} of the page, ink {ink:.1%}"
