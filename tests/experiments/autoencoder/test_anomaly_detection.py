"""The anomaly-detection experiment: its judge on hand-made metrics for every outcome (and a
training set with anomalies in it), its settings, and its quick mode end to end."""

import pytest

from mllab.experiments.autoencoder.anomaly_detection import AnomalySettings, judge_anomaly


def _metrics(ae, pca, knn=None, anomalies=0):
    knn = knn or [0.9] * len(ae)
    return {"runs": [{"auc": {"autoencoder": a, "pca": p, "knn": k},
                      "anomalies_in_training": anomalies}
                     for a, p, k in zip(ae, pca, knn, strict=True)]}


@pytest.mark.parametrize(("metrics", "outcomes", "verdict"), [
    (_metrics([0.95, 0.94, 0.96, 0.95, 0.93], [0.90, 0.88, 0.91, 0.89, 0.88]),
     ["held", "held"], "reproduced"),
    (_metrics([0.20, 0.25, 0.22, 0.21, 0.23], [0.60, 0.62, 0.61, 0.60, 0.63]),
     ["contradicted", "contradicted"], "not reproduced"),
    (_metrics([0.70, 0.50, 0.80, 0.60, 0.55], [0.60, 0.60, 0.70, 0.65, 0.60]),
     ["within noise", "within noise"], "inconclusive"),
])
def test_judge(metrics, outcomes, verdict):
    evidence = judge_anomaly(metrics, AnomalySettings())
    assert [c.outcome() for c in evidence.checks] == outcomes
    assert evidence.verdict() == verdict


def test_the_knn_baseline_is_reported_and_never_decides():
    metrics = _metrics([0.95] * 3 + [0.94] * 2, [0.90] * 5, knn=[0.99] * 5)
    evidence = judge_anomaly(metrics, AnomalySettings())
    assert evidence.verdict() == "reproduced"
    assert "0.990" in evidence.notes[0] and "-0.040" in evidence.notes[0]


def test_anomalies_in_the_training_data_make_the_verdict_inconclusive():
    metrics = _metrics([0.95, 0.94, 0.96, 0.95, 0.93], [0.9] * 5, anomalies=3)
    evidence = judge_anomaly(metrics, AnomalySettings())
    assert not evidence.preconditions[0].holds and evidence.verdict() == "inconclusive"


def test_settings_ranges():
    with pytest.raises(ValueError, match="normal_classes must be one to nine distinct digits"):
        AnomalySettings(normal_classes=tuple(range(10)))
    with pytest.raises(ValueError, match="chance_margin must be in"):
        AnomalySettings(chance_margin=0.5)


def test_quick_mode_writes_a_valid_run(quick_run):
    result = quick_run("anomaly-detection")
    assert len(result["checks"]) == 2 and len(result["preconditions"]) == 1
