r"""Weight clipping: the original WGAN's way to keep the critic Lipschitz.

Arjovsky et al., arXiv:1701.07875, Algorithm 1, line 7: after every critic update,

.. math:: w \leftarrow \mathrm{clip}(w, -c, c)

for every parameter :math:`w` of the critic (the paper uses :math:`c = 0.01`). The set of
functions with weights in :math:`[-c, c]^d` is compact, so all of them are :math:`K`-Lipschitz
for some :math:`K` that depends on :math:`c` and the architecture: the critic then estimates
:math:`K \cdot W` instead of :math:`W`, which is as good for the generator's gradient. The
paper calls it "a clearly terrible way to enforce a Lipschitz constraint": too small a
:math:`c` makes gradients vanish, too large a one makes the critic slow to train, and the
weights pile up at :math:`\pm c` (the WGAN-GP paper's Figure 1b).
"""

from __future__ import annotations

import torch
from torch import nn

from mllab.config import is_real, require

__all__ = ["clip_weights"]


@torch.no_grad()
def clip_weights(critic: nn.Module, c: float) -> None:
    r"""Clip every parameter of ``critic`` to :math:`[-c, c]` in place (Algorithm 1, line 7)."""
    require(is_real(c) and c > 0, "c", "a number > 0", c)
    for w in critic.parameters():
        w.clamp_(-c, c)
