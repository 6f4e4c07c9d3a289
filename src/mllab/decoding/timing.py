r"""Wall time of autoregressive vs non-autoregressive decoding as the output length grows.

The Transformer lecture's "AT vs NAT": greedy decoding (:mod:`mllab.decoding.greedy`) makes
:math:`T` sequential decoder steps, :func:`mllab.decoding.nat_decode` one parallel pass, so the
first should take about :math:`T` times one step and the second about one pass at every
:math:`T`. :func:`time_at_and_nat` measures both the way the project's timings do: one untimed
warm-up round, then ``rounds`` rounds, each timing every length of both decoders, the order
flipped every round, every time kept (not only the best).

Times are wall clock: evidence about the machine and its load, not about a seed.
"""

from __future__ import annotations

import statistics
import time

import torch
from torch import Tensor

from mllab.config import require_int
from mllab.decoding.greedy import greedy_decode
from mllab.decoding.non_autoregressive import nat_decode

__all__ = ["time_at_and_nat"]


@torch.no_grad()
def time_at_and_nat(at, nat, sources: dict[int, Tensor], *, bos: int, eos: int,
                    rounds: int) -> dict:
    r"""Wall time of decoding ``sources[T]`` ``(B, T)`` into exactly :math:`T` tokens, for each
    length :math:`T`: AT greedy decoding (:math:`T` steps of ``at.step_function``) and NAT
    decoding (one pass of ``nat`` at the given length :math:`T`).

    Args:
        at: An encoder-decoder with ``step_function(src) -> (step_fn, state)`` that never
            emits ``eos`` (otherwise it could stop before :math:`T` steps; that is refused).
        nat: A :class:`~mllab.transformer.NonAutoregressiveTransformer`.
        sources: Source ids per output length :math:`T`, increasing lengths.
        bos, eos: The AT model's BEGIN and END ids.
        rounds: Timed rounds after the warm-up round (>= 1).

    Returns:
        ``{"lengths": [T...], "at_seconds": [[per round] per T], "nat_seconds": ...,
        "at_median": [per T], "nat_median": [per T]}``.
    """
    require_int("rounds", rounds, 1)
    lengths = sorted(sources)

    def decode_at(T: int) -> int:
        step_fn, state = at.step_function(sources[T])
        return greedy_decode(step_fn, bos, eos, T, len(sources[T]),
                             init_state=state).tokens.shape[1]

    def decode_nat(T: int) -> int:
        return nat_decode(nat, sources[T], length=T).tokens.shape[1]

    jobs = [(name, T, f) for T in lengths for name, f in (("at", decode_at), ("nat", decode_nat))]
    seconds: dict[str, list[list[float]]] = {"at": [[] for _ in lengths],
                                             "nat": [[] for _ in lengths]}
    for r in range(rounds + 1):  # round 0 warms up
        for name, T, f in jobs if r % 2 else jobs[::-1]:
            begin = time.perf_counter()
            produced = f(T)
            if r:
                seconds[name][lengths.index(T)].append(time.perf_counter() - begin)
            if produced != T:
                raise RuntimeError(f"{name} decoded {produced} tokens instead of {T}")
    return {"lengths": lengths, "at_seconds": seconds["at"], "nat_seconds": seconds["nat"],
            "at_median": [statistics.median(v) for v in seconds["at"]],
            "nat_median": [statistics.median(v) for v in seconds["nat"]]}
