"""The gan-evaluation experiment: its judge on hand-made metrics for every outcome (and a
classifier too weak to judge by), the blur, the cases, and its quick mode end to end."""

import json

import pytest
import torch

from mllab.experiments.gan.gan_evaluation import (
    GANEvaluationSettings,
    blur,
    judge_gan_evaluation,
    make_cases,
)


def _metrics(fid, is_, nn, accuracy=0.97):
    r"""Per repeat: (real, collapsed, blurred, copies) FIDs, ISs and NN medians."""
    runs = []
    for f, i, n in zip(fid, is_, nn, strict=True):
        runs.append({"accuracy": accuracy, "cases": {
            c: {"fid": f[k], "is": i[k], "nn_train_median": n[k]}
            for k, c in enumerate(("real", "collapsed", "blurred", "copies"))}})
    return {"runs": runs}


HELD = _metrics([(1.0, 50, 20, 0.2), (1.2, 55, 25, 0.3), (0.9, 48, 22, 0.25),
                 (1.1, 60, 18, 0.2), (1.0, 52, 21, 0.3)],
                [(9.0, 1.1, 4.0, 9.1), (9.2, 1.0, 4.5, 9.0), (8.9, 1.2, 3.8, 9.0),
                 (9.1, 1.1, 4.2, 9.2), (9.0, 1.0, 4.1, 9.0)],
                [(3.0, 2.0, 4.0, 0.0)] * 5)
CONTRADICTED = _metrics([(10.0, 2.0, 3.0, 20.0)] * 3 + [(10.0, 2.5, 3.5, 21.0)] * 2,
                        [(3.0, 6.0, 7.0, 3.0), (3.0, 6.5, 7.2, 3.0), (3.1, 6.1, 7.0, 3.0),
                         (2.9, 6.2, 6.8, 3.0), (3.0, 6.0, 7.1, 3.0)],
                        [(3.0, 2.0, 4.0, 3.0), (3.0, 2.0, 4.0, 3.1), (3.0, 2.0, 4.0, 2.9),
                         (3.0, 2.0, 4.0, 3.0), (3.0, 2.0, 4.0, 3.05)])
NOISE = _metrics([(1.0, 5, 0.5, 0.5), (1.0, 0.5, 3.0, 1.5), (1.0, 3, 1.0, 0.2),
                  (1.0, 0.3, 2.5, 1.4), (1.0, 2, 0.8, 0.6)],
                 [(5.0, 6.0, 4.0, 5.0), (5.0, 3.0, 6.0, 5.0), (5.0, 5.5, 4.2, 5.0),
                  (5.0, 3.5, 5.8, 5.0), (5.0, 4.5, 5.0, 5.0)],
                 [(3.0, 2.0, 4.0, 0.1), (3.0, 2.0, 4.0, 5.0), (3.0, 2.0, 4.0, 1.0),
                  (3.0, 2.0, 4.0, 4.0), (3.0, 2.0, 4.0, 2.0)])


@pytest.mark.parametrize(("metrics", "outcomes", "verdict"), [
    (HELD, ["held"] * 6, "reproduced"),
    (CONTRADICTED, ["contradicted"] * 5 + ["within noise"], "not reproduced"),
    (NOISE, ["within noise"] * 6, "inconclusive"),
])
def test_judge(metrics, outcomes, verdict):
    evidence = judge_gan_evaluation(metrics, GANEvaluationSettings())
    assert [c.outcome() for c in evidence.checks] == outcomes
    assert evidence.verdict() == verdict


def test_a_weak_stand_in_classifier_makes_the_verdict_inconclusive():
    evidence = judge_gan_evaluation({"runs": [dict(r, accuracy=0.5) for r in HELD["runs"]]},
                                    GANEvaluationSettings())
    assert [c.outcome() for c in evidence.checks] == ["held"] * 6
    assert evidence.verdict() == "inconclusive"


def test_blur_keeps_a_constant_image_and_spreads_a_point():
    flat = torch.full((1, 1, 8, 8), 0.3)
    assert torch.allclose(blur(flat, 3), flat)
    point = torch.zeros(1, 1, 8, 8)
    point[0, 0, 4, 4] = 16.0
    once = blur(point, 1)
    assert once.sum() == pytest.approx(16.0) and once[0, 0, 4, 4] == pytest.approx(4.0)
    assert once[0, 0, 3, 4] == pytest.approx(2.0) and once[0, 0, 3, 3] == pytest.approx(1.0)


def test_the_cases():
    g = torch.Generator().manual_seed(0)
    x_train, x_held = torch.randn(40, 1, 8, 8, generator=g), torch.randn(30, 1, 8, 8, generator=g)
    y_held = torch.arange(30) % 10
    cases = make_cases(x_train, x_held, y_held, GANEvaluationSettings(sample_size=20), g)
    assert all(v.shape == (20, 1, 8, 8) for v in cases.values())

    def members(a, b):
        return torch.cdist(a.flatten(1).double(), b.flatten(1).double()).min(1).values < 1e-4

    assert members(cases["copies"], x_train).all() and members(cases["real"], x_held).all()
    collapsed = cases["collapsed"].flatten(1)
    labels = y_held[torch.cdist(collapsed, x_held.flatten(1)).argmin(1)]
    assert len(labels.unique()) == 1  # one mode


def test_settings_ranges():
    with pytest.raises(ValueError, match="sample_size must be in"):
        GANEvaluationSettings(sample_size=1000)
    with pytest.raises(ValueError, match="data must be one of digits, fashion-mnist"):
        GANEvaluationSettings(data="mnist")


def test_quick_mode_writes_a_valid_run(quick_run):
    result = quick_run("gan-evaluation")
    assert len(result["checks"]) == 6 and len(result["figures"]) == 3


def test_fashion_mnist_where_not_installed_is_one_line_and_exit_2(mllab, tmp_path):
    done = mllab("run", "gan-evaluation", "--quick", "--set", "data=fashion-mnist", "--out",
                 str(tmp_path / "run"), env={"MLLAB_FASHION_MNIST": str(tmp_path / "none")})
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "Fashion-MNIST is not installed" in done.stderr and len(done.stderr.splitlines()) == 1
    assert not (tmp_path / "run").exists()


def test_28_by_28_images_run_through_the_same_experiment(mllab, tmp_path, fake_fashion_mnist):
    fake_fashion_mnist(tmp_path, n=80)  # random pixels: the stand-in cannot learn them
    done = mllab("run", "gan-evaluation", "--quick", "--set", "data=fashion-mnist", "--set",
                 "sample_size=20", "--set", "classifier_steps=5", "--out", str(tmp_path / "run"),
                 env={"MLLAB_FASHION_MNIST": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    result = json.loads((tmp_path / "run" / "result.json").read_text())
    assert result["settings"]["data"] == "fashion-mnist"
    assert len(result["metrics"]["runs"][0]["images"]["real"][0]) == 28
