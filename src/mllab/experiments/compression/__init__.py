r"""Lecture "Network compression" (homework 13): knowledge distillation, architecture design
(depthwise-separable convolution), pruning and the lottery ticket, quantisation.

Data: scikit-learn's digits.
"""

LECTURE = "Network compression"
EXPERIMENTS: tuple[str, ...] = ("knowledge_distillation", "compression_tradeoffs")
"""The lecture's experiment modules, in the order of the course."""
