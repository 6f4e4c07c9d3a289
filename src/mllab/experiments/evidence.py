r"""The evidence model: how a verdict is reached from measurements over independent repeats.

An experiment's ``judge`` turns its metrics into :class:`Evidence`:

- **checks**: each judged comparison, with the lecture's words, what is measured, one value
  per independent repeat (a repeat changes every seed: data split, initialisation, batch
  order), the value the claim must beat (``threshold``: "above 0" for "A beats B", or below
  it), and a ``margin`` fixed in the experiment's ``Settings`` with its reason;
- **demonstrations**: identities, closed forms and theorems the run shows (they teach), with
  their numbers; they never decide a verdict;
- **preconditions**: facts that must hold for the checks to mean anything (both networks
  trained to convergence, enough critical points found); one that does not hold makes the
  verdict ``inconclusive``.

**The statistic.** For the values :math:`d_1, \dots, d_n` of a check (per-repeat differences
when two methods are compared on the same repeat: a paired design) the 95% Student-t
interval of their mean,

.. math:: \bar d \pm t_{0.975,\,n-1} \frac{s}{\sqrt n}, \qquad
    s^2 = \frac{1}{n-1} \sum_i (d_i - \bar d)^2,

decides: a claim that the mean lies **above** ``threshold`` is **held** when the whole
interval lies above ``threshold + margin``, **contradicted** when it lies below
``threshold - margin``, and **within noise** otherwise (a claim of "below" mirrors this).
With one repeat there is no interval: within noise. The margin is a noise allowance: a
difference smaller than it counts as no difference.

**The verdict.** ``reproduced`` if every check held; ``not reproduced`` if any was
contradicted; otherwise ``inconclusive`` (also when a precondition did not hold).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

OUTCOMES = ("held", "contradicted", "within noise")
CONFIDENCE = 0.95


def _betacf(a: float, b: float, x: float) -> float:
    r"""Continued fraction of the regularized incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 300):
        for num in (m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
                    -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))):
            d = 1.0 + num * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + num / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < 1e-15:
            break
    return h


def _betainc(a: float, b: float, x: float, y: float) -> float:
    r""":math:`I_x(a, b)`, the regularized incomplete beta function, given :math:`x` and
    :math:`y = 1 - x` (each computed without cancellation by the caller)."""
    if x <= 0.0:
        return 0.0
    if y <= 0.0:
        return 1.0
    log_front = (math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
                 + a * math.log(x) + b * math.log(y))
    if x < (a + 1) / (a + b + 2):
        return math.exp(log_front) * _betacf(a, b, x) / a
    return 1.0 - math.exp(log_front) * _betacf(b, a, y) / b


def student_t_cdf(t: float, df: float) -> float:
    r""":math:`P(T \le t)` for Student's t with ``df`` degrees of freedom:
    :math:`1 - \frac12 I_{df/(df+t^2)}(\frac{df}{2}, \frac12)` for :math:`t \ge 0`."""
    tail = 0.5 * _betainc(df / 2, 0.5, df / (df + t * t), t * t / (df + t * t))
    return 1.0 - tail if t >= 0 else tail


def student_t_quantile(p: float, df: float) -> float:
    r"""The :math:`t` with :math:`P(T \le t) = p`, by bisection on :func:`student_t_cdf`."""
    if not 0.0 < p < 1.0 or df <= 0:
        raise ValueError(f"need 0 < p < 1 and df > 0, got p={p}, df={df}")
    lo, hi = -1.0, 1.0
    while student_t_cdf(lo, df) > p:
        lo *= 2
    while student_t_cdf(hi, df) < p:
        hi *= 2
    for _ in range(200):
        mid = (lo + hi) / 2
        if student_t_cdf(mid, df) < p:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-13 * max(1.0, abs(mid)):
            break
    return (lo + hi) / 2


def t_interval(values: tuple[float, ...] | list[float],
               confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    r"""Mean and two-sided ``confidence`` Student-t interval of ``values``:
    ``(mean, low, high)``; the interval is unbounded for fewer than two values."""
    n = len(values)
    if n == 0:
        return math.nan, -math.inf, math.inf
    mean = math.fsum(values) / n
    if n < 2:
        return mean, -math.inf, math.inf
    s = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (n - 1))
    half = student_t_quantile(0.5 + confidence / 2, n - 1) * s / math.sqrt(n)
    return mean, mean - half, mean + half


def paired(a: list[float], b: list[float]) -> list[float]:
    r"""The per-repeat differences :math:`d_r = a_r - b_r` of two methods measured on the same
    repeats (a paired design): the values of a check that says "a beats b"."""
    return [x - y for x, y in zip(a, b, strict=True)]


@dataclass(frozen=True)
class Check:
    r"""One judged comparison of a claim, over independent repeats."""

    claim: str
    """The lecture's words for what should hold."""
    statistic: str
    """What each value is, e.g. "test accuracy, CNN minus fully connected"."""
    values: tuple[float, ...]
    """One value per independent repeat."""
    margin: float
    """Noise allowance around ``threshold`` (>= 0), a setting of the experiment."""
    reason: str
    """Why this margin, written before the first run."""
    threshold: float = 0.0
    """The value the claim puts the mean above (or below, with ``below``)."""
    below: bool = False
    """The claim says the mean lies below ``threshold``."""

    def __post_init__(self) -> None:
        if not self.margin >= 0:
            raise ValueError(f"margin must be >= 0, got {self.margin!r}")
        object.__setattr__(self, "values", tuple(float(v) for v in self.values))

    def interval(self) -> tuple[float, float, float]:
        r"""``(mean, low, high)``: the 95% t-interval of the mean of the values."""
        return t_interval(self.values)

    def outcome(self) -> str:
        r"""``"held"``, ``"contradicted"`` or ``"within noise"`` (see the module docstring)."""
        _, lo, hi = self.interval()
        upper, lower = self.threshold + self.margin, self.threshold - self.margin
        supports, against = (hi < lower, lo > upper) if self.below else (lo > upper, hi < lower)
        return "held" if supports else "contradicted" if against else "within noise"

    def sentence(self) -> str:
        r"""The check in words, with its numbers."""
        mean, lo, hi = self.interval()
        side = "<" if self.below else ">"
        band = f"{self.threshold:.4g}" + (f" ± {self.margin:.3g}" if self.margin else "")
        interval = f"[{lo:.4g}, {hi:.4g}]" if math.isfinite(lo) else "no interval"
        return (f"{self.claim}: {self.outcome()} ({self.statistic}: mean {mean:.4g}, 95% CI "
                f"{interval} over {len(self.values)} repeats; claim {side} {band})")

    def to_dict(self) -> dict:
        mean, lo, hi = self.interval()
        return {"claim": self.claim, "statistic": self.statistic, "values": list(self.values),
                "mean": mean, "low": lo, "high": hi, "threshold": self.threshold,
                "below": self.below, "margin": self.margin, "reason": self.reason,
                "outcome": self.outcome()}


@dataclass(frozen=True)
class Demonstration:
    r"""An identity, closed form or theorem the run shows; it never decides a verdict."""

    statement: str
    """What the mathematics says."""
    shown: str
    """What the run measured, with its numbers."""

    def to_dict(self) -> dict:
        return {"statement": self.statement, "shown": self.shown}


@dataclass(frozen=True)
class Precondition:
    r"""What the checks need (in every repeat): shown, and whether it holds."""

    statement: str
    shown: str
    holds: bool

    def to_dict(self) -> dict:
        return {"statement": self.statement, "shown": self.shown, "holds": self.holds}


@dataclass
class Evidence:
    r"""What a judge returns: the checks, the preconditions and the demonstrations."""

    checks: list[Check]
    demonstrations: list[Demonstration] = field(default_factory=list)
    preconditions: list[Precondition] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """Facts reported for information (timings on this machine, sweeps)."""

    def verdict(self) -> str:
        outcomes = [c.outcome() for c in self.checks]
        if not outcomes or not all(p.holds for p in self.preconditions):
            return "inconclusive"
        if all(o == "held" for o in outcomes):
            return "reproduced"
        return "not reproduced" if "contradicted" in outcomes else "inconclusive"

    def criterion(self) -> str:
        r"""Every check and precondition in words; then the demonstrations and notes."""
        parts = [c.sentence() for c in self.checks]
        parts += [f"precondition: {p.statement} ({p.shown}): "
                  f"{'holds' if p.holds else 'does NOT hold'}" for p in self.preconditions]
        text = "; ".join(parts)
        if not all(p.holds for p in self.preconditions):
            text += " — a precondition does not hold, so the checks cannot decide"
        return text

    def to_dict(self) -> dict:
        return {"checks": [c.to_dict() for c in self.checks],
                "preconditions": [c.to_dict() for c in self.preconditions],
                "demonstrations": [d.to_dict() for d in self.demonstrations],
                "notes": list(self.notes)}
