r"""Lecture 2, "Batch and momentum": how the size of a batch and the memory of past movements
change where gradient descent ends.

- ``momentum``: on a 1-D loss curve with a shallow local minimum in front of a deeper one,
  plain gradient descent stops where the gradient vanishes, while gradient descent with
  momentum (the course's :math:`m \leftarrow \lambda m - \eta g`, :math:`\theta \leftarrow
  \theta + m`, :class:`mllab.optim.Momentum`) rolls over the bump, like a ball with inertia.
- ``batch-size``: on digits, time per epoch for batch sizes 1 to full batch, then the
  accuracy and sharpness of the minima that small and large batches reach.
"""

LECTURE = "Batch and momentum"
EXPERIMENTS = ("momentum", "batch_size")
"""The lecture's experiment modules, in the order of the course."""
