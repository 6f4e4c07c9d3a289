"""The adversarial-attack experiment: its judge on hand-made metrics for every outcome (and a
network too weak to attack), the radii the checks read, and its quick mode end to end."""

import pytest

from mllab.experiments.adversarial.adversarial_attack import AttackSettings, judge_attack


def _metrics(lost, gap, target_rate, clean=0.97):
    r"""Per repeat: accuracy lost under PGD (both norms), FGSM minus PGD, targeted success."""
    runs = []
    for d, g, t in zip(lost, gap, target_rate, strict=True):
        cell = {"linf": 0.1, "l2": 1.0, "target_rate": 0.0}
        runs.append({"clean_accuracy": clean, "attacks": {
            "pgd_inf": {"0.1": {**cell, "accuracy": 1 - d}},
            "pgd_2": {"1": {**cell, "accuracy": 1 - d}},
            "fgsm": {"0.1": {**cell, "accuracy": 1 - d + g}},
            "targeted": {"0.1": {**cell, "accuracy": 0.0, "target_rate": t}}}})
    return {"runs": runs}


SMALL = AttackSettings(eps_inf=(0.1,), eps_2=(1.0,))
HELD = _metrics([0.9, 0.95, 0.92, 0.9, 0.93], [0.3, 0.35, 0.3, 0.32, 0.3],
                [0.9, 0.92, 0.88, 0.9, 0.91])
CONTRADICTED = _metrics([-0.4, -0.42, -0.41, -0.4, -0.43], [-0.3, -0.35, -0.3, -0.32, -0.3],
                        [0.1, 0.12, 0.08, 0.1, 0.11])
NOISE = _metrics([0.9, 0.0, 0.8, 0.1, 0.5], [0.3, -0.3, 0.2, -0.2, 0.0],
                 [0.9, 0.1, 0.8, 0.2, 0.5])


@pytest.mark.parametrize(("metrics", "outcomes", "verdict"), [
    (HELD, ["held"] * 4, "reproduced"),
    (CONTRADICTED, ["contradicted"] * 4, "not reproduced"),
    (NOISE, ["within noise"] * 4, "inconclusive"),
    (_metrics([0.9] * 5, [0.3] * 5, [0.9] * 5, clean=0.5), ["held"] * 4, "inconclusive"),
])
def test_judge(metrics, outcomes, verdict):
    evidence = judge_attack(metrics, SMALL)
    assert [c.outcome() for c in evidence.checks] == outcomes
    assert evidence.verdict() == verdict


def test_settings_ranges():
    with pytest.raises(ValueError, match="eps_check_inf must be one of eps_inf"):
        AttackSettings(eps_check_inf=0.3)
    with pytest.raises(ValueError, match="eps_2 must be one or more numbers > 0"):
        AttackSettings(eps_2=(0.0,))


def test_quick_mode_writes_a_valid_run(quick_run):
    result = quick_run("adversarial-attack")
    assert len(result["checks"]) == 4 and len(result["figures"]) == 3
    run = result["metrics"]["runs"][0]
    assert run["attacks"]["pgd_inf"]["0.1"]["linf"] <= 0.1 + 1e-6
