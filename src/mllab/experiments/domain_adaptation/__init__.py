r"""Lecture "Domain adaptation" (homework 11): a labelled source domain, an unlabelled shifted
target; domain adversarial training (DANN) and entropy minimisation; domain generalisation
when no target data exist.

Data: scikit-learn's digits and SYNTHETIC transforms of them (named so).
"""

LECTURE = "Domain adaptation"
EXPERIMENTS: tuple[str, ...] = ("domain_adaptation", "domain_generalization")
"""The lecture's experiment modules, in the order of the course."""
