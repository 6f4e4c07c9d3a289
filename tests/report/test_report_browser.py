"""The report as a browser shows it: headless Chromium renders the page and takes a screenshot.

Skipped when Chromium is not installed (``apt-get install chromium`` on Debian).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from mllab.report import render_report
from mllab.report.style import VERDICT_COLOURS

TIMEOUT_S = 60
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--force-color-profile=srgb",
]


def _chromium() -> str:
    found = shutil.which("chromium")
    if found is None and Path("/usr/bin/chromium").exists():
        found = "/usr/bin/chromium"
    if found is None:
        pytest.skip("chromium is not installed")
    return found


def _run_chromium(args: list[str], profile: Path) -> subprocess.CompletedProcess[str]:
    cmd = [_chromium(), *FLAGS, f"--user-data-dir={profile}", *args]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail(f"chromium did not finish within {TIMEOUT_S} s: {' '.join(cmd)}")
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc


def _pixels_of(pixels: np.ndarray, colour: str) -> int:
    r"""Number of pixels within 3/255 of ``colour`` (``#rrggbb``) in an (H, W, 3) image."""
    rgb = np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)]) / 255.0
    return int((np.abs(pixels - rgb).max(axis=-1) <= 3 / 255).sum())


@pytest.fixture
def report(run_dir: Path) -> Path:
    return render_report(run_dir)


def test_dumped_dom_shows_verdict_and_images(report: Path, tmp_path: Path) -> None:
    proc = _run_chromium(["--dump-dom", report.as_uri()], tmp_path / "profile")
    dom = proc.stdout
    assert 'verdict-reproduced badge-large">reproduced</span>' in dom
    assert "How the verdict is computed" in dom
    images = dom.split("<img")[1:]
    assert len(images) == 1
    assert images[0].lstrip().startswith('src="data:image/png;base64,')


def test_screenshot_is_not_blank_and_shows_the_badge(report: Path, tmp_path: Path) -> None:
    import matplotlib.image

    shot = tmp_path / "shot.png"
    _run_chromium(
        [f"--screenshot={shot}", "--window-size=1200,2000", report.as_uri()], tmp_path / "profile"
    )
    assert shot.exists()
    pixels = matplotlib.image.imread(shot)[..., :3]  # (H, W, 3) floats in [0, 1]
    assert pixels.shape[:2] == (2000, 1200)
    assert pixels.std() > 0
    green = _pixels_of(pixels, VERDICT_COLOURS["reproduced"])
    assert green > 2000, f"the green verdict badge is not on screen ({green} pixels)"
    assert _pixels_of(pixels, VERDICT_COLOURS["not-reproduced"]) < 50
