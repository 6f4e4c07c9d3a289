r"""Lecture "Meta learning" (homework 15): learning to learn across tasks, MAML and first-order
MAML against a model trained on all tasks and fine-tuned.

Data: the MAML paper's SYNTHETIC sinusoids and scikit-learn's digits (few-shot tasks).
"""

LECTURE = "Meta learning"
EXPERIMENTS: tuple[str, ...] = ("meta_learning",)
"""The lecture's experiment modules, in the order of the course."""
