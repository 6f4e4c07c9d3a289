r"""Figures for experiment reports: matplotlib on the Agg backend, saved as PNG.

matplotlib is imported inside the functions, never at import time, and the non-interactive
Agg backend is forced so that figures render the same on a headless machine as on a laptop.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

DPI = 110
"""Resolution of saved figures, in dots per inch."""

_INCHES_PER_PANEL = (5.0, 3.8)


def _pyplot() -> Any:
    r"""Import ``matplotlib.pyplot`` after forcing the Agg backend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def new_figure(
    ncols: int = 1, nrows: int = 1, size: tuple[float, float] | None = None
) -> tuple[Any, Any]:
    r"""Create a figure with a grid of axes.

    Args:
        ncols: Number of panels across, at least 1.
        nrows: Number of panels down, at least 1.
        size: Figure size ``(width, height)`` in inches; by default 5.0 x 3.8 inches per panel.

    Returns:
        ``(fig, axes)`` as from ``plt.subplots``: a single ``Axes`` for a 1 x 1 grid, else an
        array of them.

    Raises:
        ValueError: If ``ncols`` or ``nrows`` is below 1, or ``size`` is not positive.
    """
    if ncols < 1:
        raise ValueError(f"ncols must be >= 1, got {ncols}")
    if nrows < 1:
        raise ValueError(f"nrows must be >= 1, got {nrows}")
    if size is None:
        size = (_INCHES_PER_PANEL[0] * ncols, _INCHES_PER_PANEL[1] * nrows)
    if len(size) != 2 or min(size) <= 0:
        raise ValueError(f"size must be two positive numbers (inches), got {size!r}")
    plt = _pyplot()
    fig, axes = plt.subplots(nrows, ncols, figsize=size, layout="constrained")
    return fig, axes


def save_png(fig: Any, path: str | Path) -> Path:
    r"""Save ``fig`` as a PNG at :data:`DPI` with a tight bounding box, then close it.

    The parent folder is created if needed. The figure is closed even if saving fails, so
    long experiments do not accumulate open figures.

    Args:
        fig: A matplotlib ``Figure``.
        path: Destination file; conventionally ends in ``.png``.

    Returns:
        The path written, as a :class:`~pathlib.Path`.
    """
    plt = _pyplot()
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, format="png", dpi=DPI, bbox_inches="tight")
    finally:
        plt.close(fig)
    return path
