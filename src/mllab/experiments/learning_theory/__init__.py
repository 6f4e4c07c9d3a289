r"""Lecture "Why deep learning / learning theory": when is a small training loss trustworthy?

One experiment, ``learning-theory``."""

LECTURE = "Learning theory"
EXPERIMENTS = ('learning_theory',)
"""The lecture's experiment modules, in the order of the course."""
