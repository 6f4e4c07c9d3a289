"""Figures: Agg backend, grid shapes, PNG files, figures closed after saving."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import matplotlib
import numpy as np
import pytest

from mllab.report import new_figure, save_png

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_import_does_not_load_matplotlib() -> None:
    code = "import sys, mllab.report; assert 'matplotlib' not in sys.modules, 'imported'"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


def test_backend_is_agg() -> None:
    new_figure()
    assert matplotlib.get_backend().lower() == "agg"


@pytest.mark.parametrize(
    ("ncols", "nrows", "shape"), [(1, 1, None), (2, 1, (2,)), (1, 3, (3,)), (2, 2, (2, 2))]
)
def test_new_figure_grid(ncols: int, nrows: int, shape: tuple[int, ...] | None) -> None:
    import matplotlib.pyplot as plt

    fig, axes = new_figure(ncols=ncols, nrows=nrows)
    try:
        if shape is None:
            assert isinstance(axes, matplotlib.axes.Axes)
        else:
            assert np.shape(axes) == shape
        width, height = fig.get_size_inches()
        assert width / height == pytest.approx((5.0 * ncols) / (3.8 * nrows))
    finally:
        plt.close(fig)


def test_new_figure_explicit_size() -> None:
    import matplotlib.pyplot as plt

    fig, _ = new_figure(size=(3.0, 2.0))
    assert tuple(fig.get_size_inches()) == (3.0, 2.0)
    plt.close(fig)


@pytest.mark.parametrize(
    "kwargs", [{"ncols": 0}, {"nrows": -1}, {"size": (0.0, 2.0)}, {"size": (1.0,)}]
)
def test_new_figure_rejects_bad_arguments(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        new_figure(**kwargs)


def test_save_png_writes_png_and_closes(tmp_path: Path) -> None:
    import matplotlib.pyplot as plt

    fig, ax = new_figure(size=(2.0, 1.0))
    ax.plot([0, 1], [0, 1])
    path = save_png(fig, tmp_path / "sub" / "line.png")
    assert path == tmp_path / "sub" / "line.png"
    data = path.read_bytes()
    assert data.startswith(PNG_MAGIC)
    assert fig.number not in plt.get_fignums()
    image = matplotlib.image.imread(path)
    # dpi ~110 and a tight bbox: about 2 x 1 inch of content, never the full default size.
    assert 2 * 110 * 0.8 < image.shape[1] < 2 * 110 * 1.3
    assert image.std() > 0
