r"""Lecture "Why deep learning": with the same number of parameters a deep, narrow network
fits a complex and repetitive function better than a shallow, wide ("fat") one, because
composing layers multiplies the linear pieces (as a logic circuit of many layers needs fewer
gates than one of two).

Data: a SYNTHETIC sawtooth (the tent map composed with itself), seeded initialisations.
"""

LECTURE = "Why deep learning"
EXPERIMENTS: tuple[str, ...] = ("why_deep",)
"""The lecture's experiment modules, in the order of the course."""
