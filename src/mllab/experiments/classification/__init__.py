r"""Classification lectures: the generative model vs logistic regression, cross-entropy vs
mean squared error, and the limit of a linear classifier.

In ``generative-vs-discriminative`` the small-data claim pits naive Bayes (diagonal
covariances) against logistic (softmax) regression, the pairing of Ng & Jordan (2001) and of
the lecture's "benefit of the generative model" argument: its independence assumption is
what lets it learn from few examples. The shared-covariance model needs C(C+1)/2 covariance
entries, more than logistic regression's C+1 weights, so it is no small-data model; its
learning curve is reported beside the others.

Data: scikit-learn's breast cancer and wine (shipped with the package) and a SYNTHETIC
XOR-like set (four seeded Gaussian clusters) for the linear-limit experiment.
"""

LECTURE = "Classification"
EXPERIMENTS = ('generative_vs_discriminative', 'ce_vs_mse', 'linear_limit')
"""The lecture's experiment modules, in the order of the course."""
