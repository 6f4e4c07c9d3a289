r"""Life-long learning: catastrophic forgetting and the regularisation-based remedies
(homework 14).

- :func:`quadratic_penalty` and :class:`Consolidation`: :math:`\lambda\sum_i b_i(\theta_i -
  \theta^*_i)^2`, the form the three methods share;
- EWC (arXiv:1612.00796): :func:`fisher_diagonal` from the data and :func:`ewc`;
- MAS (arXiv:1711.09601): :func:`mas_importance` from unlabelled inputs and :func:`mas`;
- SI (arXiv:1703.04987): :func:`si_path_update` while training, :func:`si_importance` at a
  task's end, and :func:`si`;
- :class:`ContinualState` and :func:`continual_step`: training on one task with a penalty on
  the general loop.
"""

from mllab.lifelong.continual_step import ContinualConfig, ContinualState, continual_step
from mllab.lifelong.ewc import ewc, fisher_diagonal
from mllab.lifelong.mas import mas, mas_importance
from mllab.lifelong.quadratic_penalty import Consolidation, quadratic_penalty, snapshot
from mllab.lifelong.synaptic_intelligence import si, si_importance, si_path_update

__all__ = [
    "Consolidation", "ContinualConfig", "ContinualState", "continual_step", "ewc",
    "fisher_diagonal", "mas", "mas_importance", "quadratic_penalty", "si", "si_importance",
    "si_path_update", "snapshot",
]
