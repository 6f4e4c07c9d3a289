r"""An n-gram language model with interpolated Kneser-Ney smoothing: the count-based baseline
a GPT's next-token perplexity must beat (self-supervised lecture, "GPT predicts the next
token").

A sequence :math:`x_1 \dots x_m` is scored as :math:`x_1 \dots x_m\,\mathrm{EOS}` after
:math:`n - 1` BOS tokens, each token from the :math:`n - 1` before it. Interpolated
Kneser-Ney (Chen & Goodman, "An Empirical Study of Smoothing Techniques for Language
Modeling", 1998, §3.5 and Eq. 22; one discount :math:`D` at every order):

.. math::
    P_k(w \mid h) = \frac{\max(c_k(h w) - D, 0)}{\sum_v c_k(h v)}
        + \frac{D \, N_{1+}(h \bullet)}{\sum_v c_k(h v)}\; P_{k-1}(w \mid h'),

with :math:`h'` the context :math:`h` without its first token, and :math:`P_0(w) = 1/V`
(uniform over the ``V`` ids, so a token never seen in training still has a probability).
The counts :math:`c_k` are raw counts at the highest order :math:`k = n` and *continuation*
counts below it, :math:`c_k(h w) = N_{1+}(\bullet\, h w)`, the number of distinct tokens seen
before :math:`h w`; :math:`N_{1+}(h \bullet)` is the number of distinct :math:`w` with
:math:`c_k(h w) > 0`. A context never seen at an order passes its whole mass to the order
below (:math:`P_k = P_{k-1}`). With :math:`n = 1` the model is absolute discounting of the
unigram counts interpolated with the uniform distribution.

Above the lowest order this is ``nltk.lm.KneserNeyInterpolated``; nltk's lowest order is the
undiscounted continuation unigram with no uniform floor (an unseen token gets probability 0),
and nltk needs :math:`n \ge 2`.

Differences from Chen & Goodman: one discount :math:`D` for every count instead of their
modified KN's three (:math:`D_1, D_2, D_{3+}`).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

from mllab.config import is_real, require, require_int

__all__ = ["NgramLM"]


class _Order:
    r"""The counts :math:`c_k(h w)` of one order, by context: totals and distinct followers."""

    def __init__(self, counts: Counter) -> None:
        self.followers: dict[tuple, dict[int, int]] = defaultdict(dict)
        for (*h, w), c in counts.items():
            self.followers[tuple(h)][w] = c
        self.total = {h: sum(f.values()) for h, f in self.followers.items()}  # sum_v c(h v)


class NgramLM:
    r"""An order-``n`` (1, 2 or 3) interpolated Kneser-Ney model over ids ``0 .. V-1``."""

    def __init__(self, sequences: Iterable[Sequence[int]], V: int, *, n: int = 3,
                 discount: float = 0.75, bos: int = 1, eos: int = 2) -> None:
        require(n in (1, 2, 3), "n", "1, 2 or 3", n)
        require_int("V", V, 2)
        require(is_real(discount) and 0 < discount < 1, "discount", "a number in (0, 1)",
                discount)
        for name, value in (("bos", bos), ("eos", eos)):
            require(isinstance(value, int) and 0 <= value < V, name, f"an id in [0, {V})", value)
        self.V, self.n, self.D, self.bos, self.eos = V, n, float(discount), bos, eos
        grams: Counter = Counter()  # raw counts c_n(h w) of the highest order
        for seq in sequences:
            s = self._padded(seq)
            grams.update(tuple(s[i - n + 1:i + 1]) for i in range(n - 1, len(s)))
        require(len(grams) > 0, "sequences", "one or more sequences", 0)
        self.orders: list[_Order] = [_Order(grams)]  # highest order first
        for _ in range(n - 1):  # c_{k-1}(h w) = N_{1+}(. h w): distinct left extensions
            grams = Counter(g[1:] for g in grams)
            self.orders.append(_Order(grams))

    def _padded(self, seq: Sequence[int]) -> list[int]:
        ids = [int(t) for t in seq]
        require(all(0 <= t < self.V for t in ids), "sequences",
                f"lists of ids in [0, {self.V})", ids[:8])
        return [self.bos] * (self.n - 1) + ids + [self.eos]

    def prob(self, w: int, context: Sequence[int] = (), order: int | None = None) -> float:
        r""":math:`P_k(w \mid h)` at order :math:`k` = ``order`` (default :math:`n`) for the
        last :math:`k - 1` ids of ``context`` (BOS-padded on the left when shorter)."""
        order = self.n if order is None else order
        require(order in range(1, self.n + 1), "order", f"1 .. {self.n}", order)
        h = tuple(int(t) for t in context)[-(order - 1):] if order > 1 else ()
        h = (self.bos,) * (order - 1 - len(h)) + h
        p = 1.0 / self.V  # P_0(w) = 1 / V
        for k, counts in enumerate(reversed(self.orders[self.n - order:])):  # order k + 1
            hk = h[len(h) - k:] if k else ()
            follow = counts.followers.get(hk)
            if follow is None:  # unseen context: all its mass to the order below
                continue
            total = counts.total[hk]
            p = max(follow.get(w, 0) - self.D, 0.0) / total + self.D * len(follow) / total * p
        return p

    def token_log_probs(self, seq: Sequence[int]) -> list[float]:
        r""":math:`\ln P(x_t \mid x_{t-n+1} \dots x_{t-1})` of every token of ``seq`` and of the
        final EOS (``len(seq) + 1`` values)."""
        s = self._padded(seq)
        m = self.n - 1
        return [math.log(self.prob(s[i], s[i - m:i])) for i in range(m, len(s))]

    def cross_entropy(self, sequences: Iterable[Sequence[int]]) -> tuple[float, int]:
        r"""The mean :math:`-\ln P` per predicted token (EOS included) over ``sequences``,
        and the number of tokens :math:`N`."""
        total, count = 0.0, 0
        for seq in sequences:
            lp = self.token_log_probs(seq)
            total -= math.fsum(lp)
            count += len(lp)
        return total / count, count

    def perplexity(self, sequences: Iterable[Sequence[int]]) -> float:
        r""":math:`\exp\big(-\frac1N \sum_t \ln P(x_t \mid \cdot)\big)` over every predicted
        token of ``sequences``."""
        return math.exp(self.cross_entropy(sequences)[0])
