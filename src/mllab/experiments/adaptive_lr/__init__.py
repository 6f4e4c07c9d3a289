r"""Lecture 2, "Adaptive learning rate": one fixed learning rate cannot suit a surface that is
steep in one direction and flat in another; a rate per parameter can, and scheduling calms
its late steps. Feature scaling attacks the same problem from the data side.

- ``adaptive-lr``: a SYNTHETIC elongated convex surface
  :math:`L = \frac12(\lambda_1 \theta_1^2 + \lambda_2 \theta_2^2)` (flat along
  :math:`\theta_1`, steep along :math:`\theta_2`, as in the lecture's figure) descended by
  fixed-η gradient descent, Adagrad, RMSProp and Adam (:mod:`mllab.optim`), and by Adagrad
  under learning-rate schedules.
- ``feature-scaling``: full-batch gradient descent for linear regression on the raw features
  of scikit-learn's diabetes data (``load_diabetes(scaled=False)``: age in years, blood
  pressure in mm Hg, ...) versus the same features standardized.

Differences from the course: the 2021 lecture's Adagrad divides a constant η by the root mean
square of the past gradients; :class:`mllab.optim.Adagrad` follows the earlier edition, whose
:math:`\eta^t = \eta/\sqrt{t+1}` is built in, and that decay is exactly what removes the
"bursts" the 2021 lecture shows. Both are measured: :class:`ConstantRateAdagrad` is the 2021
form (:class:`mllab.optim.ConstantRateAdagrad`).
"""

LECTURE = "Adaptive learning rate"
EXPERIMENTS = ("adaptive_lr", "feature_scaling")
"""The lecture's experiment modules, in the order of the course."""
