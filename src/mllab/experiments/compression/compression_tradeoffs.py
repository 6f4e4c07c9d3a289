r"""``compression-tradeoffs``: ways to a smaller network and what each costs in accuracy (the
Network Compression lecture, homework 13): depthwise-separable convolution (MobileNet,
arXiv:1704.04861), magnitude pruning with fine-tuning (Han et al., arXiv:1506.02626), the lottery
ticket (Frankle and Carbin, arXiv:1803.03635) and 8-bit post-training quantisation.

**Data and networks.** scikit-learn's 8×8 digits, pixels in :math:`[0, 1]`, split per repeat
into 70% training (1,258) and 30% test (539). The standard CNN: 3×3 convolutions 1 → C1 → C2 →
C3 (``channels``) with ReLU, 2×2 max-pooling after the first two, global average pooling, a
linear layer to 10 classes; the separable CNN has the same shape with the second and third
convolutions :class:`~mllab.compression.DepthwiseSeparableConv2d` (the first has one input
channel, where a depthwise filter is the standard one; MobileNet keeps it standard too). Adam
on cross-entropy trains every network.

**Pruning.** :func:`~mllab.compression.magnitude_mask` removes each of ``prune_ratios`` of the
weights of every layer of the trained standard CNN but the first convolution; each pruned
network is tested as it is and after ``finetune_epochs`` with the mask kept. **Lottery
ticket.** :func:`~mllab.compression.lottery_ticket` from the standard CNN's :math:`\theta_0`
(its first round's training is the standard CNN itself) reaches ``lottery_sparsity``; the
ticket :math:`m \odot \theta_0` is trained, and so is the same mask on a fresh initialisation.
**Quantisation.** :func:`~mllab.compression.quantize_model` (per-tensor affine) of the trained
CNNs, dequantised for the test accuracy; :func:`~mllab.compression.size_on_disk` of the files.

Differences from the papers: a small CNN on the digits rather than ImageNet, MNIST or CIFAR;
one-shot pruning at each ratio (Han et al. prune and retrain iteratively); three rounds to the
ticket rather than many of 20%.
"""

from __future__ import annotations

import copy
from collections import OrderedDict
from dataclasses import dataclass

import torch
from torch import nn

from mllab.compression import (
    DepthwiseSeparableConv2d,
    apply_mask,
    dequantize_model,
    get_mask,
    lottery_ticket,
    magnitude_mask,
    prunable_layers,
    quantize_model,
    remove_mask,
    separable_conv_params,
    size_on_disk,
    sparsity,
    standard_conv_params,
)
from mllab.config import require
from mllab.data import load_dataset
from mllab.experiments.base import Result, Settings, experiment, table
from mllab.experiments.compression import LECTURE
from mllab.experiments.context import RunContext
from mllab.experiments.evidence import Check, Demonstration, Evidence, Precondition, paired
from mllab.losses import cross_entropy
from mllab.metrics import accuracy
from mllab.nn import num_parameters
from mllab.train import TrainConfig


@dataclass
class TradeoffSettings(Settings):
    channels: tuple[int, ...] = (32, 64, 128)
    """Output channels of the three convolutions (three integers >= 1); the second and third
    hold 98% of the standard CNN's weights, where separable convolutions save."""
    epochs: int = 30
    """Passes over the training digits of each network trained from scratch (>= 1): 600 steps."""
    batch_size: int = 64
    """Examples per update (>= 1)."""
    lr: float = 1e-3
    """Adam's learning rate for every network (> 0): Adam's default, within the 2e-4 to 1.2e-3
    Frankle and Carbin train with (at large rates rewinding finds no tickets, their Section 4)."""
    finetune_epochs: int = 10
    """Passes of fine-tuning after pruning (>= 1): a third of the training, a fresh Adam."""
    prune_ratios: tuple[float, ...] = (0.5, 0.8, 0.9, 0.95)
    """Shares of the weights removed from each pruned layer (each in (0, 1)); the checks read
    the highest. The first convolution (288 of 93,728 weights) is never pruned: it saves
    nothing, and Han et al. find it the layer most sensitive to pruning."""
    lottery_sparsity: float = 0.95
    """Share of each pruned layer's weights the ticket removes (in (0, 1)): high, where tickets
    stand out most from random re-initialisations (Frankle and Carbin, Sections 2 and 3)."""
    lottery_rounds: int = 3
    """Rounds of train, prune, rewind (>= 1), each pruning the same share of the survivors (63%):
    iterative pruning finds better tickets than one-shot (their Section 2); three fit the time."""
    bits: int = 8
    """Bits per quantised weight (1 to 8): the lecture's 8 bits, 32 / 8 = 4 times smaller."""
    repeats: int = 5
    """Independent repeats: split, initialisations, batches (>= 1)."""
    separable_tolerance: float = 0.02
    """'Little cost in accuracy': the 95% interval of standard minus separable test accuracy
    must lie below two points (about 11 of the 539 test digits)."""
    finetune_margin: float = 0.05
    """Least mean gain by fine-tuning at the highest ratio: five points, a loss won back."""
    recovered_tolerance: float = 0.02
    """'Wins back': the 95% interval of dense minus pruned-and-fine-tuned test accuracy at the
    highest ratio must lie below two points (as ``separable_tolerance``)."""
    lottery_margin: float = 0.01
    """Least mean gain of the ticket over the random re-initialisation: one point (5 digits)."""
    quantised_tolerance: float = 0.01
    """'Little loss': the 95% interval of float32 minus quantised test accuracy must lie below
    one point; 8-bit rounding moves a weight by at most 1/510 of its tensor's range."""
    least_accuracy: float = 0.95
    """Precondition: the standard CNN's test accuracy in every repeat (a trained network)."""

    def validate(self) -> None:
        require(len(self.channels) == 3 and all(c >= 1 for c in self.channels), "channels",
                "three integers >= 1", self.channels)
        for name in ("epochs", "batch_size", "finetune_epochs", "lottery_rounds", "repeats"):
            require(getattr(self, name) >= 1, name, ">= 1", getattr(self, name))
        require(self.lr > 0, "lr", "> 0", self.lr)
        require(len(self.prune_ratios) >= 1 and all(0 < p < 1 for p in self.prune_ratios),
                "prune_ratios", "one or more numbers in (0, 1)", self.prune_ratios)
        require(1 <= self.bits <= 8, "bits", "in 1..8", self.bits)
        for name in ("separable_tolerance", "finetune_margin", "recovered_tolerance",
                     "lottery_margin", "quantised_tolerance"):
            require(0 <= getattr(self, name) < 1, name, "in [0, 1)", getattr(self, name))
        for name in ("lottery_sparsity", "least_accuracy"):
            require(0 < getattr(self, name) < 1, name, "in (0, 1)", getattr(self, name))

    @classmethod
    def quick(cls) -> TradeoffSettings:
        return cls(channels=(8, 16, 32), epochs=1, finetune_epochs=1, prune_ratios=(0.95,),
                   lottery_rounds=1, repeats=2)


def _cnn(channels: tuple[int, ...], separable: bool) -> nn.Sequential:
    r"""Logits of digits: ``(B, 1, 8, 8)`` -> ``(B, C1, 4, 4)`` -> ``(B, C2, 2, 2)`` ->
    ``(B, C3)`` -> ``(B, 10)``; ``separable``: the second and third convolutions
    depthwise-separable."""
    c1, c2, c3 = channels
    conv = DepthwiseSeparableConv2d if separable else nn.Conv2d
    return nn.Sequential(OrderedDict(
        conv1=nn.Conv2d(1, c1, 3, padding=1), relu1=nn.ReLU(), pool1=nn.MaxPool2d(2),
        conv2=conv(c1, c2, 3, padding=1), relu2=nn.ReLU(), pool2=nn.MaxPool2d(2),
        conv3=conv(c2, c3, 3, padding=1), relu3=nn.ReLU(), pool3=nn.AdaptiveAvgPool2d(1),
        flatten=nn.Flatten(), out=nn.Linear(c3, 10)))


def _init(ctx: RunContext, s: TradeoffSettings, name: str, separable: bool = False) -> nn.Module:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(ctx.seed_for(name))
        return _cnn(s.channels, separable)


def _pruned_layers(model: nn.Module) -> dict[str, nn.Module]:
    r"""The layers pruned: every linear and convolution layer but the first convolution."""
    return {n: m for n, m in prunable_layers(model).items() if n != "conv1"}


def _permanent(model: nn.Module) -> nn.Module:
    r"""A plain copy of the masked ``model``: its weights, zero where pruned."""
    plain = copy.deepcopy(model)
    for layer in _pruned_layers(plain).values():
        if get_mask(layer) is not None:
            remove_mask(layer)
    return plain


def _test(model: nn.Module, data: tuple) -> float:
    model.eval()
    with torch.no_grad():
        return accuracy(model(data[2]), data[3])


def _fit(ctx: RunContext, s: TradeoffSettings, name: str, model: nn.Module, epochs: int,
         data: tuple) -> float:
    with ctx.trial(name) as t:
        t.fit(model, torch.optim.Adam(model.parameters(), lr=s.lr), cross_entropy, data[:2],
              None, TrainConfig(epochs=epochs, batch_size=s.batch_size), fingerprint=s.to_dict())
        test = t.record("test_accuracy", lambda: _test(model, data))
    ctx.log(name, test_accuracy=test)
    return test


def _sparse(s: TradeoffSettings, model: nn.Module, test: float) -> dict:
    r"""A pruned network's entry: 4 bytes per non-zero value (a sparse format's indices aside)."""
    plain = _permanent(model)
    nonzero = sum(int(v.count_nonzero()) for v in plain.state_dict().values())
    return {"test": test, "bytes": 4 * nonzero, "sparsity": sparsity(plain)}


def _prune(ctx: RunContext, s: TradeoffSettings, dense: nn.Module, p: float, data: tuple,
           r: int) -> dict:
    model = copy.deepcopy(dense)
    for layer in _pruned_layers(model).values():
        apply_mask(layer, magnitude_mask(layer.weight, p))
    pruned = _sparse(s, model, _test(model, data))
    finetuned = _fit(ctx, s, f"finetune-{p:g}-r{r}", model, s.finetune_epochs, data)
    return {f"pruned-{p:g}": pruned, f"finetuned-{p:g}": _sparse(s, model, finetuned)}


def _dense(model: nn.Module, test: float) -> dict:
    return {"test": test, "bytes": size_on_disk(model.state_dict()),
            "parameters": num_parameters(model)}


def _quantised(model: nn.Module, bits: int, data: tuple) -> dict:
    q = quantize_model(model, bits)
    restored = copy.deepcopy(model)
    dequantize_model(restored, q)
    return {"test": _test(restored, data), "bytes": size_on_disk(q)}


def _repeat(ctx: RunContext, s: TradeoffSettings, r: int) -> dict:
    r"""Every variant's ``{"test": accuracy, "bytes": size, ...}``, by name."""
    split = load_dataset("digits", seed=ctx.seed_for(f"split/r{r}"), valid_fraction=0.0,
                         test_fraction=0.3, standardize=False)
    data = (split.x_train.view(-1, 1, 8, 8) / 16, split.y_train,  # (N, 1, 8, 8) in [0, 1]
            split.x_test.view(-1, 1, 8, 8) / 16, split.y_test)
    # 1. the standard CNN is the first round of the lottery ticket's train, prune, rewind
    model, rounds, dense = _init(ctx, s, f"r{r}/init"), [], []

    def train(m: nn.Module) -> None:
        name = f"lottery-round{len(rounds) + 1}-r{r}" if rounds else f"standard-r{r}"
        rounds.append(_fit(ctx, s, name, m, s.epochs, data))
        if len(rounds) == 1:
            dense.append(_permanent(m))

    amount = 1 - (1 - s.lottery_sparsity) ** (1 / s.lottery_rounds)
    masks = lottery_ticket(model, train, s.lottery_rounds, amount,
                           layers=_pruned_layers(model))[-1]
    out = {"standard": _dense(dense[0], rounds[0]),
           "ticket": _sparse(s, model, _fit(ctx, s, f"ticket-r{r}", model, s.epochs, data))}
    # 2. the same mask on a fresh initialisation
    reinit = _init(ctx, s, f"r{r}/init/reinit")
    for name, layer in _pruned_layers(reinit).items():
        apply_mask(layer, masks[name])
    out["reinit"] = _sparse(s, reinit, _fit(ctx, s, f"reinit-r{r}", reinit, s.epochs, data))
    # 3. the separable CNN of the same shape
    separable = _init(ctx, s, f"r{r}/init/separable", separable=True)
    out["separable"] = _dense(separable, _fit(ctx, s, f"separable-r{r}", separable, s.epochs,
                                              data))
    # 4. magnitude pruning with and without fine-tuning; 5. quantisation
    for p in s.prune_ratios:
        out |= _prune(ctx, s, dense[0], p, data, r)
    for name, net in (("standard", dense[0]), ("separable", separable)):
        out[f"quantised-{name}"] = _quantised(net, s.bits, data)
    ctx.log(f"compression-r{r}", **{k: v["test"] for k, v in out.items()})
    return out


def _layers(s: TradeoffSettings) -> list[dict]:
    r"""Parameters of the layers the separable CNN replaces, counted and by formula."""
    with torch.device("meta"):  # shapes only: no memory, no random numbers
        standard, separable = _cnn(s.channels, False), _cnn(s.channels, True)
    c1, c2, c3 = s.channels
    return [{"layer": n, "c_in": a, "c_out": b, "standard": num_parameters(getattr(standard, n)),
             "separable": num_parameters(getattr(separable, n)),
             "standard_formula": standard_conv_params(a, b, 3),
             "separable_formula": separable_conv_params(a, b, 3)}
            for n, a, b in (("conv2", c1, c2), ("conv3", c2, c3))]


def judge_tradeoffs(m: dict, s: TradeoffSettings) -> Evidence:
    runs, top = m["runs"], f"{max(s.prune_ratios):g}"

    def v(key: str) -> list[float]:
        return [r[key]["test"] for r in runs]

    standard, below = v("standard"), {"margin": 0.0, "below": True}
    checks = [
        Check("a depthwise-separable CNN costs little accuracy",
              "test accuracy, standard minus separable CNN", paired(standard, v("separable")),
              threshold=s.separable_tolerance, reason="two points (separable_tolerance)",
              **below),
        Check(f"pruning {top} of the weights costs accuracy that fine-tuning wins back",
              f"test accuracy pruned at {top}, fine-tuned minus not",
              paired(v(f"finetuned-{top}"), v(f"pruned-{top}")), margin=s.finetune_margin,
              reason="five points (finetune_margin)"),
        Check(f"after fine-tuning, the network pruned at {top} is about as accurate as before",
              f"test accuracy, dense minus pruned at {top} and fine-tuned",
              paired(standard, v(f"finetuned-{top}")), threshold=s.recovered_tolerance,
              reason="two points (recovered_tolerance)", **below),
        Check("a lottery ticket (the pruned network rewound to its initial weights and "
              "retrained) beats the same mask with a random re-initialisation",
              f"test accuracy at sparsity {s.lottery_sparsity:g}, ticket minus random "
              "re-initialisation", paired(v("ticket"), v("reinit")), margin=s.lottery_margin,
              reason="one point, about five test digits (lottery_margin)"),
        Check(f"{s.bits}-bit quantisation loses little accuracy",
              f"test accuracy of the standard CNN, float32 minus {s.bits}-bit",
              paired(standard, v("quantised-standard")), threshold=s.quantised_tolerance,
              reason="one point (quantised_tolerance)", **below)]
    one = runs[0]
    layers = "; ".join(f"{x['layer']} ({x['c_in']} -> {x['c_out']}): {x['standard']:,} = "
                       f"{x['standard_formula']:,} standard, {x['separable']:,} = "
                       f"{x['separable_formula']:,} separable" for x in m["layers"])
    n_standard, n_separable = one["standard"]["parameters"], one["separable"]["parameters"]
    sizes = "; ".join(f"{k} CNN {one[k]['bytes']:,} -> {one[f'quantised-{k}']['bytes']:,} "
                      f"bytes ({one[k]['bytes'] / one[f'quantised-{k}']['bytes']:.2f}x)"
                      for k in ("standard", "separable"))
    return Evidence(
        checks=checks, demonstrations=[
            Demonstration("a k x k convolution from C to C' channels has k^2 C C' + C' "
                          "parameters, depthwise then pointwise k^2 C + C C' + C + C'",
                          f"{layers}; whole networks {n_standard:,} against {n_separable:,} "
                          f"parameters ({n_standard / n_separable:.2f}x fewer)"),
            Demonstration(f"{s.bits}-bit storage shrinks float32 weights about 32 / {s.bits} "
                          f"= {32 / s.bits:g} times (plus a scale and zero point per tensor)",
                          sizes)],
        preconditions=[Precondition(
            f"the standard CNN is trained: test accuracy >= {s.least_accuracy:g} in every "
            "repeat", "test accuracy " + ", ".join(f"{a:.3f}" for a in standard),
            all(a >= s.least_accuracy for a in standard))],
        notes=["sparsity of all weights (the first convolution unpruned), first repeat: " +
               ", ".join(f"{k} {x['sparsity']:.3f}" for k, x in one.items() if "sparsity" in x)])


MARKERS = {"standard": "o", "separable": "s", "pruned": "x", "finetuned": "^", "ticket": "*",
           "reinit": "+", "quantised": "D"}


@experiment(name="compression-tradeoffs", lecture=LECTURE, judge=judge_tradeoffs,
            claim="A depthwise-separable CNN has several times fewer parameters than the "
                  "standard CNN of the same shape at little cost in accuracy; pruning most "
                  "weights costs accuracy that fine-tuning wins back; a lottery ticket (the "
                  "pruned network rewound to its initial weights and retrained) beats the same "
                  "mask with a random re-initialisation; 8-bit quantisation cuts the size on "
                  "disk about 4x with little loss in accuracy.")
def compression_tradeoffs_experiment(s: TradeoffSettings, ctx: RunContext) -> Result:
    ctx.plan(trials=s.repeats * (s.lottery_rounds + 3 + len(s.prune_ratios)))
    runs = [_repeat(ctx, s, r) for r in range(s.repeats)]
    _plot(ctx, runs)
    n = len(runs)
    rows = [[k, f"{sum(r[k]['bytes'] for r in runs) / n:,.0f}",
             f"{sum(r[k]['test'] for r in runs) / n:.3f}"] for k in runs[0]]
    return Result(metrics={"runs": runs, "layers": _layers(s)}, tables=[table(
        "Mean over the repeats: size and test accuracy of every variant",
        ["network", "bytes (pruned: 4 per non-zero value)", "test accuracy"], rows)])


def _plot(ctx: RunContext, runs: list[dict]) -> None:
    from mllab.report import new_figure

    fig, ax = new_figure(size=(7, 4.5))
    n = len(runs)
    for k in runs[0]:
        size, test = [r[k]["bytes"] for r in runs], [r[k]["test"] for r in runs]
        marker = MARKERS[k.split("-")[0]]
        ax.scatter(size, test, marker=marker, s=12, alpha=0.3, color="grey")
        ax.plot(sum(size) / n, sum(test) / n, marker, ms=7, label=k)
    ax.set(xscale="log", xlabel="size (bytes; pruned: 4 per non-zero value)",
           ylabel="test accuracy", title="Compressed CNNs on the digits")
    ax.legend(fontsize=6, ncol=2)
    ctx.save_figure(fig, "accuracy_vs_size", "Test accuracy against size of every variant: "
                    "mean over the repeats (coloured) and each repeat (grey)")
