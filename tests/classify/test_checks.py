"""Input checks of the classifiers: one message naming the problem."""

import numpy as np
import pytest
import torch

from mllab.classify._checks import as_tensor, check_features, check_labels, require_fitted


def test_arrays_become_tensors_sharing_memory_and_other_things_stay_as_they_are():
    a = np.arange(6.0).reshape(3, 2)
    t = as_tensor(a)
    assert t.dtype == torch.float64 and t.data_ptr() == a.__array_interface__["data"][0]
    frozen = a.copy()
    frozen.flags.writeable = False
    assert torch.equal(as_tensor(frozen), t)  # copied, without torch's read-only warning
    assert torch.equal(as_tensor(a[::-1]), t.flip(0))  # negative strides: made contiguous
    assert as_tensor([[0, 1]]).dtype == torch.int64
    assert as_tensor("abc") == "abc" and as_tensor(t) is t
    with pytest.raises(ValueError, match=r"x must be a tensor or array of shape \(N, C\), got str"):
        check_features("abc")


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
