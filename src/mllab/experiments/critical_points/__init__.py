r"""Lecture "Critical points" (when the gradient is small: local minimum and saddle point).

- ``critical-points``: the lecture's empirical study. Many small networks are trained for a
  while, then driven to a point where the gradient vanishes by minimizing the gradient norm
  :math:`\lVert \nabla L \rVert^2` itself; there the exact Hessian's eigenvalues give the
  *minimum ratio* (share of positive eigenvalues). The lecture reports that such points are
  rarely true local minima (ratio 1) and that points with a higher ratio have a lower loss
  (Dauphin et al. 2014, arXiv:1406.2572, made the same observation with the index, the share
  of negative eigenvalues). It also shows, on the network :math:`y = w_2 w_1 x` at
  :math:`w_1 = w_2 = 0`, that gradient descent cannot leave a saddle point while a step along
  the eigenvector of a negative eigenvalue lowers the loss.

Data: scikit-learn's diabetes regression data (standardized inputs, target standardized with
the training split's mean and standard deviation), training split only: the points studied are
critical points of the training loss.

Differences from the course: the lecture's networks and data are not given; here each network
is a 1-hidden-layer tanh MLP, 37 parameters by default (10 inputs, 3 hidden units). The
gradient norm is minimized with Levenberg–Marquardt (Gauss–Newton on the residual
:math:`g(\theta)`, whose Jacobian is the exact Hessian) rather than a first-order method, which
would need far more steps to reach a small gradient; searches that stall at a minimum of
:math:`\lVert g \rVert` above ``grad_tol`` are counted but not studied. In floating point
"zero gradient" and "positive eigenvalue" need tolerances (``grad_tol``, ``eig_tol``);
eigenvalues within :math:`\pm`\ ``eig_tol`` are neither positive nor negative. Because such
near-zero eigenvalues alone would keep the ratio below 1, the verdict asks the stricter
question: how many points have *no* eigenvalue below :math:`-`\ ``eig_tol``, i.e. could
still be (degenerate) local minima.
"""

LECTURE = "Critical points"
EXPERIMENTS = ("critical_points",)
"""The lecture's experiment modules, in the order of the course."""
