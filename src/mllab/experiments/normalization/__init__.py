r"""Batch normalization lecture: BN makes the error surface easier to descend, so the loss
falls faster and larger learning rates still train; and why one example's output differs
between training and evaluation mode.

Data: scikit-learn's digits, with the raw pixel values (0..16, not standardized) so that the
inputs are badly scaled, as the lecture's motivation assumes.
"""

LECTURE = "Batch normalization"
EXPERIMENTS = ('batchnorm',)
"""The lecture's experiment modules, in the order of the course."""
