r"""Meta learning: learning to learn across tasks (homework 15).

- :class:`Task` (support and query sets), :class:`MAMLConfig`, the inner loop :func:`adapt`
  and the meta-objective :func:`maml_loss`: MAML with second-order gradients through the inner
  loop (arXiv:1703.03400), first-order MAML (``first_order=True``), ANIL (``adapt``: the
  head's parameter names only; arXiv:1909.09157);
- :class:`MetaState` and :func:`meta_step`: a meta-training step on the general loop;
- tasks: :func:`sinusoid_tasks` (the MAML paper's SYNTHETIC regression) and
  :func:`few_shot_tasks` (N-way K-shot classification from a labelled set).
"""

from mllab.meta.few_shot_tasks import few_shot_tasks
from mllab.meta.maml import MAMLConfig, Task, adapt, maml_loss
from mllab.meta.meta_step import MetaState, meta_step
from mllab.meta.sinusoid_tasks import sinusoid_tasks

__all__ = ["MAMLConfig", "MetaState", "Task", "adapt", "few_shot_tasks", "maml_loss", "meta_step",
           "sinusoid_tasks"]
