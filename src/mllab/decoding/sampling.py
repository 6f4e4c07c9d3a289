r"""Sampling the next token: temperature, top-k and nucleus (top-p) sampling.

The Transformer lecture's last "tip for generation": for open-ended generation the most
probable sequence (greedy decoding, beam search) is often dull and repetitive, and
randomness helps. The next token is drawn from the model's distribution, reshaped:

- **temperature** :math:`\tau > 0`: :math:`p_\tau(v) \propto \exp(z_v / \tau)`;
  :math:`\tau \to 0` is the argmax, :math:`\tau = 1` the model, :math:`\tau > 1` flatter;
- **top-k**: only the :math:`k` largest logits keep their mass;
- **nucleus / top-p** (Holtzman et al., 2019, "The Curious Case of Neural Text
  Degeneration", arXiv:1904.09751, Eq. 2): only the smallest set :math:`V^{(p)}` of most
  probable tokens with :math:`\sum_{v \in V^{(p)}} p(v) \ge p` keeps its mass,

.. math:: p'(v) = \frac{p(v)\,[v \in V^{(p)}]}{\sum_{u \in V^{(p)}} p(u)}.

:func:`sample` applies them in that order (temperature, top-k, top-p, as Hugging Face's
``generate`` does) and draws with ``torch.multinomial`` from an explicit
``torch.Generator``.

Ties. Filtering keeps every token whose logit (probability) equals the last one kept, so the
result never depends on how a sort orders equal values: top-k may keep more than :math:`k`
tokens and top-p more than the smallest set when several tokens tie at the boundary.

Differences from the paper: none; the sets are computed in the logits' dtype, so at a boundary
hit exactly (:math:`\sum = p`) rounding decides.
"""

from __future__ import annotations

import torch
from torch import Tensor

from mllab.config import is_int, is_real, require
from mllab.decoding.generation import Generation, generate
from mllab.decoding.step import State, StepFn

__all__ = ["filter_top_k", "filter_top_p", "sample", "sample_decode"]


def _check(temperature: float, top_k: int | None, top_p: float | None) -> None:
    require(is_real(temperature) and temperature > 0, "temperature", "a real number > 0",
            temperature)
    require(top_k is None or (is_int(top_k) and top_k >= 1), "top_k", "None or an int >= 1",
            top_k)
    require(top_p is None or (is_real(top_p) and 0 < top_p <= 1), "top_p",
            "None or a real number in (0, 1]", top_p)


def filter_top_k(logits: Tensor, k: int) -> Tensor:
    r"""Set every logit below the :math:`k`-th largest of its row to :math:`-\infty`.

    Args:
        logits: (..., V).
        k: how many tokens keep their mass (>= 1); ties with the :math:`k`-th are kept too.

    Returns:
        The filtered logits, same shape.
    """
    _check(1.0, k, None)
    if k >= logits.shape[-1]:
        return logits
    kth = logits.topk(k, dim=-1).values[..., -1:]  # (..., 1) the k-th largest
    return logits.masked_fill(logits < kth, -torch.inf)


def filter_top_p(logits: Tensor, p: float) -> Tensor:
    r"""Keep the nucleus: the smallest set of most probable tokens with probability :math:`\ge p`.

    Sorted by probability, token :math:`i` is needed when the mass before it is still below
    :math:`p`, :math:`\sum_{j < i} p_{(j)} < p`; the most probable token is always kept. Every
    token as probable as the last one needed is kept too (ties).

    Args:
        logits: (..., V).
        p: the nucleus mass, :math:`0 < p \le 1` (1 keeps every token).

    Returns:
        The filtered logits, the others :math:`-\infty`, same shape.
    """
    _check(1.0, None, p)
    if p == 1:
        return logits
    probs = torch.softmax(logits, dim=-1)
    sorted_probs = probs.sort(dim=-1, descending=True).values  # (..., V)
    mass_before = sorted_probs.cumsum(dim=-1) - sorted_probs  # (..., V) sum_{j<i} p_(j)
    needed = (mass_before < p).sum(dim=-1, keepdim=True)  # (..., 1) at least 1
    smallest_kept = sorted_probs.gather(-1, needed - 1)  # (..., 1)
    return logits.masked_fill(probs < smallest_kept, -torch.inf)


def sample(
    logits: Tensor,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    generator: torch.Generator | None = None,
) -> Tensor:
    r"""Draw one token per row from :math:`\operatorname{softmax}(z / \tau)`, filtered.

    Args:
        logits: (N, V) unnormalised scores (or log-probabilities).
        temperature: :math:`\tau > 0`.
        top_k: keep the ``top_k`` largest logits (None: no top-k).
        top_p: keep the nucleus of mass ``top_p`` (None: no top-p).
        generator: the source of randomness (None: torch's default generator).

    Returns:
        LongTensor (N,).
    """
    _check(temperature, top_k, top_p)
    z = logits / temperature  # z / tau
    if top_k is not None:
        z = filter_top_k(z, top_k)
    if top_p is not None:
        z = filter_top_p(z, top_p)
    probs = torch.softmax(z, dim=-1)  # (N, V)
    return torch.multinomial(probs, 1, generator=generator).squeeze(-1)  # (N,)


def sample_decode(
    step_fn: StepFn,
    bos: int | Tensor,
    eos: int,
    max_len: int,
    batch_size: int | None = None,
    *,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    generator: torch.Generator | None = None,
    init_state: State = None,
    pad: int | None = None,
    device: torch.device | str | None = None,
) -> Generation:
    r"""Generate by sampling each next token with :func:`sample`, each sequence until EOS.

    Args:
        step_fn: ``step_fn(tokens (B, t), state) -> (logits (B, V), state)``
            (``mllab.decoding.step``).
        bos: the start token, or LongTensor prompts (B,) or (B, t0).
        eos: the end-of-sequence token.
        max_len: the most tokens generated per sequence, EOS included (>= 1).
        batch_size: B when ``bos`` is an int.
        temperature, top_k, top_p: as in :func:`sample`.
        generator: the source of randomness; the same seed gives the same sequences.
        init_state: the model's state before the first step.
        pad: the token written after EOS (default ``eos``).
        device: where the tokens live when ``bos`` is an int.

    Returns:
        :class:`~mllab.decoding.generation.Generation`; its log-probabilities are the model's
        (:math:`\tau = 1`, unfiltered), not those of the reshaped distribution.
    """
    _check(temperature, top_k, top_p)
    return generate(step_fn, lambda z: sample(z, temperature, top_k, top_p, generator), bos,
                    eos, max_len, batch_size, init_state=init_state, pad=pad, device=device)
