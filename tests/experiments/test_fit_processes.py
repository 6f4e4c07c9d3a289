"""``mllab fit --nproc 2``: two processes train the same model as one, to float32 rounding."""

import json

import pytest
import torch
from safetensors.torch import load_file


@pytest.fixture
def table(tmp_path):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(150, 4, generator=g)
    y = x @ torch.tensor([1.0, -2.0, 0.5, 0.0]) + 0.1 * torch.randn(150, generator=g)
    rows = [f"{i},{','.join(f'{v:.5f}' for v in r)},{t:.5f}"
            for i, (r, t) in enumerate(zip(x.tolist(), y.tolist(), strict=True))]
    (tmp_path / "t.csv").write_text("id,a,b,c,d,y\n" + "\n".join(rows) + "\n")
    return tmp_path


def test_two_processes_train_the_weights_of_one(mllab, table):
    """Batches of 25 shared by 2 ranks (13 + 12 rows): DDP's average of the scaled losses is
    the one-process gradient on the whole batch."""
    args = ["fit", "t.csv", "--target", "y", "--model", "6", "--epochs", "6", "--batch-size",
            "25", "--lr", "0.01", "--l2", "0.01", "--patience", "none"]
    for nproc in ("1", "2"):
        done = mllab(*args, "--nproc", nproc, "--out", f"n{nproc}", cwd=table)
        assert done.returncode == 0, done.stderr
    one, two = (load_file(table / f"n{n}/model/estimator.safetensors") for n in (1, 2))
    assert one.keys() == two.keys()
    for k in one:
        torch.testing.assert_close(two[k], one[k], rtol=0, atol=1e-6)
    m1, m2 = (json.loads((table / f"n{n}/result.json").read_text())["metrics"] for n in (1, 2))
    assert m2["epochs"] == m1["epochs"] == 6
    assert m2["final"]["valid_loss"] == pytest.approx(m1["final"]["valid_loss"], rel=1e-5)
    lines = [json.loads(x) for x in (table / "n2/metrics.jsonl").read_text().splitlines()]
    assert [x["epoch"] for x in lines] == [1, 2, 3, 4, 5, 6]
