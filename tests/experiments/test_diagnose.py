"""The training-strategy lecture's diagnosis: the compared models, each case from synthetic
losses (held, contradicted, within noise), and ``mllab diagnose`` / ``fit --diagnose`` end to
end."""

import json
import math

import pytest

from mllab.experiments.diagnose import (
    ADVICE,
    CASES,
    case_of,
    compared_models,
    diagnosis_evidence,
)
from mllab.experiments.fit import FitSettings


def test_compared_models_are_simpler_shallower_and_more_flexible():
    assert compared_models((16, 8)) == {"run": (16, 8), "linear": (), "shallower": (16,),
                                        "flexible": (32, 16, 16)}
    assert compared_models((16,)) == {"run": (16,), "linear": (), "flexible": (32, 32)}
    assert compared_models(()) == {"run": (), "flexible": (32,)}


def _losses(run, linear, shallower, flexible) -> dict:
    r"""Losses per model as (train, valid) pairs of 5 repeats, with a little noise."""
    jitter = [1.0, 1.01, 0.99, 1.005, 0.995]
    losses = {name: {"train": [t * j for j in jitter], "valid": [v * j for j in jitter]}
              for name, (t, v) in {"run": run, "linear": linear, "shallower": shallower,
                                   "flexible": flexible}.items()}
    return {"losses": losses}


S = FitSettings()


@pytest.mark.parametrize(("losses", "case"), [
    # a simpler model fits the training rows better: optimization
    (_losses(run=(2.0, 2.1), linear=(1.0, 1.1), shallower=(1.5, 1.6), flexible=(1.9, 2.0)),
     "optimization"),
    # the more flexible model is better on both: model bias
    (_losses(run=(2.0, 2.1), linear=(3.0, 3.1), shallower=(2.5, 2.6), flexible=(1.0, 1.1)),
     "model bias"),
    # flexible better on training only, and a large gap: overfitting
    (_losses(run=(0.5, 1.5), linear=(1.2, 1.3), shallower=(0.8, 1.2), flexible=(0.2, 1.9)),
     "overfitting"),
    # nothing held: no problem found
    (_losses(run=(1.0, 1.05), linear=(1.2, 1.25), shallower=(1.0, 1.05),
             flexible=(0.99, 1.06)), "no problem found"),
])
def test_each_case_comes_from_the_first_step_whose_checks_held(losses, case):
    evidence = diagnosis_evidence(losses, S)
    assert case_of(evidence) == case and case in CASES and case in ADVICE


def test_a_step_within_noise_or_contradicted_does_not_make_a_case():
    # the gap is 1.3x: above overfit_ratio 1.25 but inside the 5% margin: within noise
    within = diagnosis_evidence(_losses(run=(1.0, 1.3), linear=(1.2, 1.3),
                                        shallower=(1.0, 1.3), flexible=(1.0, 1.3)), S)
    overfitting = within.checks[-1]
    assert overfitting.outcome() == "within noise"
    assert overfitting.threshold == pytest.approx(math.log(1.25))
    assert case_of(within) == "no problem found"
    # flexible lower on training but higher on validation: step 2 contradicted on one check
    mixed = diagnosis_evidence(_losses(run=(1.0, 1.1), linear=(1.2, 1.3), shallower=(1.1, 1.2),
                                       flexible=(0.5, 1.5)), S)
    outcomes = {c.claim: c.outcome() for c in mixed.checks}
    assert outcomes["2. model bias: a more flexible model reaches a lower training loss"] \
        == "held"
    assert outcomes["2. model bias: a more flexible model reaches a lower validation loss"] \
        == "contradicted"
    assert case_of(mixed) == "no problem found"


def test_fit_diagnose_and_mllab_diagnose_report_a_case(mllab, tmp_path):
    lines = ["id,a,b,c,y"] + [f"{i},{i % 7},{(i * 3) % 11},{(i * 5) % 13},"
                              f"{(i % 7) + 0.5 * ((i * 3) % 11)}" for i in range(80)]
    (tmp_path / "t.csv").write_text("\n".join(lines) + "\n")
    small = ["--target", "y", "--epochs", "8", "--batch-size", "16", "--repeats", "2",
             "--model", "4"]
    done = mllab("fit", "t.csv", *small, "--diagnose", "--out", "r", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    result = json.loads((tmp_path / "r/result.json").read_text())
    d = result["metrics"]["diagnosis"]
    assert d["case"] in CASES and d["advice"] == ADVICE[d["case"]]
    assert len(d["losses"]["run"]["train"]) == 2 and len(result["checks"]) == 4
    assert result["verdict"] is None and f"diagnosis: {d['case']}" in result["criterion"]
    done = mllab("diagnose", "r", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    again = json.loads((tmp_path / "r/diagnosis/result.json").read_text())
    assert again["experiment"] == "diagnose" and again["metrics"]["diagnosis"]["losses"] == \
        d["losses"]  # the same seeds, the same models, the same losses
    assert d["case"] in done.stdout
