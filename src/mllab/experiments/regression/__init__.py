r"""Lecture 1 (Regression): machine learning is looking for a function.

The running example predicts tomorrow's views of a YouTube channel from the previous days.
The channel's data are not public: every series here is SYNTHETIC
(:func:`mllab.data.channel_views`: weekly cycle, slow trend, one holiday outlier), so the
numbers are not the lecture's, only the shapes of the claims are.

- ``regression-linear``: gradient descent on y = b + wx reaches the least-squares optimum, and
  more previous days predict better;
- ``regression-sigmoids``: sums of more sigmoids (or ReLUs) fit a kinked curve better;
- ``regression-depth``: deeper networks fit the training data better, not the validation data.

Differences from the course: the lecture trains on 2017–2020 and tests on 2021; here the
first ``1 - valid_fraction`` of the synthetic days train and the rest validate, in time order.
"""

LECTURE = "Regression"
EXPERIMENTS = ("regression_linear", "regression_sigmoids", "regression_depth")
"""The lecture's experiment modules, in the order of the course."""
