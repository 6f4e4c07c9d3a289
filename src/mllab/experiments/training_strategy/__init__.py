r"""Lecture "Training strategy": what to do when the results disappoint (the flow chart from
the training loss to model bias, optimization, overfitting and mismatch); one experiment,
``training-strategy``, in four parts."""

LECTURE = "Training strategy"
REGULARIZERS = ("none", "l2", "dropout", "early-stopping")
"""The variants of part (4): none, then the three remedies."""
EXPERIMENTS = ("training_strategy",)
"""The lecture's experiment modules, in the order of the course."""
