"""Input checks of the classifiers: one message naming the problem."""

import pytest
import torch

from mllab.classify._checks import check_features, check_labels, require_fitted


def test_features_must_be_a_floating_matrix_with_the_fitted_width():
    assert check_features(torch.ones(3, 2)).dtype == torch.float64
    with pytest.raises(ValueError, match=r"shape \(N, C\), got \(3,\)"):
        check_features(torch.ones(3))
    with pytest.raises(ValueError, match="floating point"):
        check_features(torch.ones(3, 2, dtype=torch.int64))
    with pytest.raises(ValueError, match="3 features but the model was fitted on 2"):
        check_features(torch.ones(1, 3), num_features=2)


def test_labels_must_be_non_negative_integers_matching_x():
    assert check_labels(torch.tensor([0, 2, 1]), 3).dtype == torch.int64
    with pytest.raises(ValueError, match="matching x"):
        check_labels(torch.tensor([0, 1]), 3)
    with pytest.raises(ValueError, match="integer class labels"):
        check_labels(torch.tensor([0.0, 1.0]), 2)
    with pytest.raises(ValueError, match=">= 0"):
        check_labels(torch.tensor([0, -1]), 2)
    with pytest.raises(RuntimeError, match="not fitted"):
        require_fitted(None, "LogisticRegression")
