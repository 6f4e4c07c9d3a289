r"""In-context linear regression: a GPT-style model learns a new task from the examples in its
prompt, with no weight update, the self-supervised lecture's "in-context learning".

Garg et al., "What Can Transformers Learn In-Context? A Case Study of Simple Function Classes",
arXiv:2208.01066, §2. Every sequence is a new task: a weight vector
:math:`w \sim \mathcal N(0, I_d)` drawn for that sequence, inputs
:math:`x_i \sim \mathcal N(0, I_d)` and outputs

.. math:: y_i = w^\top x_i + \sigma \varepsilon_i, \qquad \varepsilon_i \sim \mathcal N(0, 1).

The model reads the interleaved prompt :math:`x_1, y_1, x_2, y_2, \dots` (each :math:`y_i`
embedded as the vector :math:`(y_i, 0, \dots, 0) \in \mathbb R^d`), and at the position of
each :math:`x_i` predicts :math:`y_i` from the :math:`i - 1` pairs before it; it is trained on
the mean of the squared errors over all positions (§2, Eq. 1),

.. math:: \mathcal L = \frac{1}{n} \sum_{i=1}^{n} \big(f(P_i) - y_i\big)^2, \qquad
    P_i = (x_1, y_1, \dots, x_{i-1}, y_{i-1}, x_i).

Learners given the same :math:`k = i - 1` examples, the references of the paper's Fig. 2:
least squares (:func:`least_squares_predictions`, the minimum-norm solution
:math:`\hat w = X_k^{+} y_k` when :math:`k < d`, so :math:`\hat w = 0` at :math:`k = 0`) and
:math:`k`-nearest-neighbour regression (:func:`nearest_neighbour_predictions`, the mean
:math:`y` of the 3 nearest examples).

Differences from the paper: a much smaller model (a few pre-LN blocks of
``mllab.transformer.EncoderBlock`` with a causal mask instead of GPT-2 with 12 layers), no
curriculum on :math:`d` and :math:`n`, far fewer training steps; the errors are reported
divided by :math:`d` as in the paper (so predicting 0 scores 1 when :math:`\sigma = 0`).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from mllab.config import require, require_int
from mllab.train.state import LoopState
from mllab.transformer.encoder_block import EncoderBlock, check_block_sizes

__all__ = ["InContextConfig", "InContextRegressor", "InContextState", "RegressionTasks",
           "in_context_step", "interleave", "least_squares_predictions",
           "nearest_neighbour_predictions", "sample_tasks"]


@dataclass(frozen=True)
class RegressionTasks:
    r"""A batch of sequences, each from its own task :math:`w`."""

    x: Tensor
    r"""Inputs ``(B, n, d)``."""
    y: Tensor
    r"""Outputs ``(B, n)``: :math:`y_i = w^\top x_i + \sigma\varepsilon_i`."""
    w: Tensor
    r"""The task of each sequence ``(B, d)``."""


def sample_tasks(batch: int, n: int, d: int, *, generator: torch.Generator,
                 noise_std: float = 0.0, dtype: torch.dtype = torch.float32) -> RegressionTasks:
    r"""``batch`` sequences of ``n`` pairs in dimension ``d``, a fresh task per sequence.

    Draws, in this order from ``generator``: :math:`w` ``(B, d)``, :math:`x` ``(B, n, d)``, then
    the noise ``(B, n)`` only when ``noise_std > 0``.
    """
    for name, value in (("batch", batch), ("n", n), ("d", d)):
        require_int(name, value, 1)
    require(noise_std >= 0, "noise_std", ">= 0", noise_std)
    w = torch.randn(batch, d, generator=generator, dtype=dtype)  # w ~ N(0, I_d)
    x = torch.randn(batch, n, d, generator=generator, dtype=dtype)  # x_i ~ N(0, I_d)
    y = torch.einsum("bnd,bd->bn", x, w)  # w^T x_i, (B, n)
    if noise_std > 0:
        y = y + noise_std * torch.randn(batch, n, generator=generator, dtype=dtype)
    return RegressionTasks(x=x, y=y, w=w)


def interleave(x: Tensor, y: Tensor) -> Tensor:
    r"""The prompt :math:`x_1, (y_1, 0, \dots, 0), x_2, \dots` as vectors ``(B, 2n, d)``."""
    B, n, d = x.shape
    y_vec = torch.zeros_like(x)
    y_vec[..., 0] = y  # (B, n, d): y_i in the first coordinate
    return torch.stack([x, y_vec], dim=2).reshape(B, 2 * n, d)  # (B, 2n, d)


@dataclass
class InContextConfig:
    r"""Sizes of an :class:`InContextRegressor`."""

    d: int
    r"""Input dimension :math:`d`; an integer >= 1."""
    max_pairs: int
    r"""Most pairs :math:`n` in a prompt (positions: :math:`2n`); an integer >= 1."""
    d_model: int = 64
    r"""Width of the Transformer (paper: 256); a multiple of ``num_heads``."""
    num_heads: int = 4
    r"""Attention heads (paper: 8)."""
    d_ff: int = 256
    r"""Feed-forward hidden size (4 ``d_model``)."""
    num_layers: int = 3
    r"""Causal blocks (paper: 12); an integer >= 1."""

    def __post_init__(self) -> None:
        for name in ("d", "max_pairs", "num_layers"):
            require_int(name, getattr(self, name), 1)
        check_block_sizes(self.d_model, self.num_heads, self.d_ff, 0.0, "gelu_tanh")
        require(self.d_model % self.num_heads == 0, "num_heads",
                f"a divisor of d_model = {self.d_model}", self.num_heads)


class InContextRegressor(nn.Module):
    r"""Read-in :math:`\mathbb R^d \to \mathbb R^{D}`, learned positions, causal pre-LN blocks,
    final LN, read-out :math:`\mathbb R^D \to \mathbb R` at the positions of the :math:`x_i`."""

    def __init__(self, config: InContextConfig) -> None:
        super().__init__()
        c = self.config = config
        self.read_in = nn.Linear(c.d, c.d_model)
        self.position_embedding = nn.Embedding(2 * c.max_pairs, c.d_model)
        self.blocks = nn.ModuleList(
            EncoderBlock(c.d_model, c.num_heads, c.d_ff, norm_first=True,
                         activation="gelu_tanh") for _ in range(c.num_layers))
        self.final_norm = nn.LayerNorm(c.d_model)
        self.read_out = nn.Linear(c.d_model, 1)

    def forward(self, x: Tensor, y: Tensor) -> Tensor:
        r"""Predictions :math:`\hat y_i = f(x_1, y_1, \dots, x_i)` ``(B, n)`` for ``x``
        ``(B, n, d)`` and ``y`` ``(B, n)``; :math:`\hat y_i` never sees :math:`y_{\ge i}`."""
        n = x.shape[1]
        require(n <= self.config.max_pairs, "x", f"at most max_pairs = "
                f"{self.config.max_pairs} pairs", n)
        z = interleave(x, y)  # (B, 2n, d)
        h = self.read_in(z) + self.position_embedding(torch.arange(2 * n, device=x.device))
        for block in self.blocks:
            h = block(h, is_causal=True)  # (B, 2n, D)
        return self.read_out(self.final_norm(h[:, 0::2])).squeeze(-1)  # (B, n) at the x_i


def least_squares_predictions(x: Tensor, y: Tensor) -> Tensor:
    r"""Least squares from the pairs before each position: ``(B, n)``.

    .. math:: \hat y_i = x_i^\top \hat w_{i-1}, \qquad \hat w_k = X_k^{+} y_k,

    :math:`X_k` ``(k, d)`` the first :math:`k` inputs; the pseudo-inverse gives the
    minimum-norm solution when :math:`k < d` (and :math:`\hat w_0 = 0`).
    """
    B, n, d = x.shape
    out = torch.zeros(B, n, dtype=x.dtype, device=x.device)
    for k in range(1, n):
        w_hat = torch.linalg.pinv(x[:, :k]) @ y[:, :k, None]  # (B, d, 1) = X_k^+ y_k
        out[:, k] = (x[:, k, None] @ w_hat).flatten()  # x_{k+1}^T w_hat
    return out


def nearest_neighbour_predictions(x: Tensor, y: Tensor, neighbours: int = 3) -> Tensor:
    r"""The mean :math:`y` of the ``neighbours`` nearest earlier inputs (Euclidean), or of all
    :math:`k` earlier ones when :math:`k` is smaller; 0 with no example: ``(B, n)``."""
    require_int("neighbours", neighbours, 1)
    B, n, _ = x.shape
    out = torch.zeros(B, n, dtype=x.dtype, device=x.device)
    dist = torch.cdist(x, x)  # (B, n, n)
    for k in range(1, n):
        m = min(neighbours, k)
        idx = dist[:, k, :k].topk(m, dim=1, largest=False).indices  # (B, m)
        out[:, k] = y[:, :k].gather(1, idx).mean(1)
    return out


@dataclass
class InContextState(LoopState):
    r"""What in-context training changes: the model, its optimizer, the task generator."""

    model: InContextRegressor
    optimizer: torch.optim.Optimizer
    generator: torch.Generator
    """Draws every batch's tasks."""


def in_context_step(batch_size: int, n: int, noise_std: float = 0.0):
    r"""One Adam update of :math:`\mathcal L` (module docstring) on ``batch_size`` fresh tasks;
    logs ``train_loss`` (the mean squared error divided by :math:`d`)."""

    def step(s: InContextState) -> dict:
        d = s.model.config.d
        t = sample_tasks(batch_size, n, d, generator=s.generator, noise_std=noise_std)
        s.model.train()
        loss = ((s.model(t.x, t.y) - t.y) ** 2).mean()  # Eq. (1)
        s.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        s.optimizer.step()
        return {"train_loss": loss.item() / d}

    return step
