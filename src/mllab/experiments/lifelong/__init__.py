r"""Lecture "Life-long learning" (homework 14): catastrophic forgetting across a sequence of
tasks, and the regularisation-based remedies EWC, MAS and SI.

Data: scikit-learn's digits and SYNTHETIC pixel permutations of them (named so).
"""

LECTURE = "Life-long learning"
EXPERIMENTS: tuple[str, ...] = ("catastrophic_forgetting",)
"""The lecture's experiment modules, in the order of the course."""
