r"""Lecture "Explainable AI" (homework 9): which pixels a classifier's decision rests on
(saliency, SmoothGrad, integrated gradients) and what each layer encodes (probing).

Data: scikit-learn's digits.
"""

LECTURE = "Explainable AI"
EXPERIMENTS: tuple[str, ...] = ("explainability",)
"""The lecture's experiment modules, in the order of the course."""
