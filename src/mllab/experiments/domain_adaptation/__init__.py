r"""Lecture "Domain adaptation" (homework 11): a labelled source domain, an unlabelled shifted
target; domain adversarial training (DANN) and entropy minimisation.

Data: scikit-learn's digits and a SYNTHETIC noisy-background copy of them (named so).
"""

LECTURE = "Domain adaptation"
EXPERIMENTS: tuple[str, ...] = ("domain_adaptation",)
"""The lecture's experiment modules, in the order of the course."""
