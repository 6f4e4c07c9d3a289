r"""Epoch time of :class:`mllab.train.Trainer` against a hand-written PyTorch loop.

Both loops do the same work on the same data, side by side in one process: an
:class:`mllab.nn.MLP` on scikit-learn's digits (``load_dataset("digits", seed=0)``), loss
:func:`mllab.losses.cross_entropy`, ``torch.optim.SGD(lr=0.05, momentum=0.9)``, mini-batches
cut from one ``torch.randperm(n, generator=g)`` per epoch, ``x[idx]`` / ``y[idx]``, zero_grad,
backward, step, the epoch's mean training loss accumulated with one sync per batch, and a
validation pass (eval mode, no_grad) at the end of every epoch.

Both check before every optimizer step that the loss and all gradients are finite (the
Trainer's NaN/inf guard, a pre-step hook of the general loop; the hand loop does the same
with the same fused kernel inline), so the ratio is the Trainer's own overhead: the general
loop under it (:func:`mllab.train.run_loop`: the step function, the state dataclass, the
hook's dispatch, the stop-signal and checkpoint-cadence checks) and its bookkeeping (history
dicts, the epoch's batch order kept in the state). A third loop, the hand loop without the
guard, shows what the guard itself costs; a fourth, the hand loop again (A/A), shows the
noise floor of the run.

Method: warm up, then run the loops in turn over ``--repeats`` repeats of ``--epochs``
epochs (the order flips every repeat) and take each loop's fastest repeat: on a shared
machine other processes only ever add time. The last line is
``ratio trainer/hand-written: <min Trainer / min hand>``; below 1 means the Trainer is faster.

Usage::

    python benchmarks/trainer_overhead.py [--threads 1] [--batch-size 32] [--width 256]
                                          [--repeats 15] [--epochs 3] [--quick]
"""

from __future__ import annotations

import argparse
import copy
import math
import statistics

import torch
from torch import Tensor, nn

from mllab.data import load_dataset
from mllab.losses import cross_entropy
from mllab.nn import MLP, MLPConfig
from mllab.train import TrainConfig, Trainer
from timing import clocked, fastest, interleave, ratios

Data = tuple[Tensor, Tensor]
LR, MOMENTUM, SEED = 0.05, 0.9, 0


def make_optimizer(model: nn.Module) -> torch.optim.Optimizer:
    r"""The optimizer both loops use."""
    return torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)


def hand_loop(model: nn.Module, optimizer: torch.optim.Optimizer, train: Data, valid: Data,
              epochs: int, batch_size: int, generator: torch.Generator, *, guard: bool = True
              ) -> list[tuple[float, float]]:
    r"""Plain PyTorch training; returns ``(train_loss, valid_loss)`` per epoch.

    With ``guard`` it checks, like any careful loop, that the loss and every gradient are
    finite before each optimizer step (one fused pass, the kernel ``GradScaler`` uses).
    """
    x, y = train
    x_valid, y_valid = valid
    n = len(x)
    params = list(model.parameters())
    found, one = torch.zeros(1), torch.ones(1)
    history = []
    for _ in range(epochs):
        model.train()
        order = torch.randperm(n, generator=generator)  # (n,)
        loss_sum, count = 0.0, 0
        for idx in torch.split(order, batch_size):
            loss = cross_entropy(model(x[idx]), y[idx])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            value = loss.item()
            if guard:
                found.zero_()
                torch._amp_foreach_non_finite_check_and_unscale_(
                    [p.grad for p in params], found, one)
                if not math.isfinite(value) or found.item():
                    raise FloatingPointError("non-finite loss or gradient")
            optimizer.step()
            loss_sum += value * len(idx)
            count += len(idx)
        model.eval()
        with torch.no_grad():
            valid_loss = cross_entropy(model(x_valid), y_valid).item()
        history.append((loss_sum / count, valid_loss))
    return history


def hand_loop_unguarded(*args) -> list[tuple[float, float]]:
    r"""The hand-written loop without the NaN/inf guard, to show what the guard costs."""
    return hand_loop(*args, guard=False)


def trainer_loop(model: nn.Module, optimizer: torch.optim.Optimizer, train: Data, valid: Data,
                 epochs: int, batch_size: int, generator: torch.Generator
                 ) -> list[tuple[float, float]]:
    r"""The same training through :class:`Trainer`; returns ``(train_loss, valid_loss)``."""
    config = TrainConfig(epochs=epochs, batch_size=batch_size)
    trainer = Trainer(model, optimizer, cross_entropy, config, generator=generator)
    result = trainer.fit(train, valid)
    return [(line["train_loss"], line["valid_loss"]) for line in result.history]


LOOPS = {"trainer": trainer_loop, "hand": hand_loop, "unguarded": hand_loop_unguarded,
         "hand-again": hand_loop}


def run_loop(name: str, init: nn.Module, train: Data, valid: Data, epochs: int,
             batch_size: int) -> tuple[float, nn.Module, list[tuple[float, float]]]:
    r"""Train a fresh copy of ``init`` with loop ``name``; return (seconds, model, history).

    The copy, its optimizer and the generator are made before the clock starts.
    """
    model = copy.deepcopy(init)
    optimizer = make_optimizer(model)
    generator = torch.Generator().manual_seed(SEED)
    seconds, history = clocked(lambda: LOOPS[name](model, optimizer, train, valid, epochs,
                                                   batch_size, generator))
    return seconds, model, history


def same_weights(init: nn.Module, train: Data, valid: Data, epochs: int,
                 batch_size: int) -> tuple[bool, float, bool]:
    r"""Train both loops from the same weights and seed; compare weights and losses.

    Returns (weights equal within float tolerance, max abs weight difference, losses match).
    Both loops issue the same floating-point operations in the same order (the Trainer's
    ``+ 0.0`` penalty and its NaN guard do not change any value), so the difference is
    expected to be exactly 0.
    """
    _, model_t, hist_t = run_loop("trainer", init, train, valid, epochs, batch_size)
    _, model_h, hist_h = run_loop("hand", init, train, valid, epochs, batch_size)
    diffs = [(p_t - p_h).abs().max().item()
             for p_t, p_h in zip(model_t.parameters(), model_h.parameters(), strict=True)]
    close = all(torch.allclose(p_t, p_h, rtol=1e-6, atol=1e-7)
                for p_t, p_h in zip(model_t.parameters(), model_h.parameters(), strict=True))
    # The Trainer's valid loss is ``item() * N / N``, hence isclose rather than ==.
    losses = all(abs(a - b) <= 1e-6 * max(1.0, abs(b))
                 for line_t, line_h in zip(hist_t, hist_h, strict=True)
                 for a, b in zip(line_t, line_h, strict=True))
    return close, max(diffs), losses


def time_loops(init: nn.Module, train: Data, valid: Data, epochs: int, batch_size: int,
               repeats: int) -> dict[str, list[float]]:
    r"""Seconds per epoch of each loop, one value per repeat; the order flips every repeat."""
    return interleave(list(LOOPS), repeats, lambda name: run_loop(
        name, init, train, valid, epochs, batch_size)[0] / epochs)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--width", type=int, default=256, help="hidden units per layer")
    parser.add_argument("--depth", type=int, default=2, help="hidden layers")
    parser.add_argument("--repeats", type=int, default=15, help="timed repeats per loop")
    parser.add_argument("--epochs", type=int, default=3, help="epochs per timed repeat")
    parser.add_argument("--quick", action="store_true", help="smoke run: 2 repeats of 1 epoch")
    args = parser.parse_args(argv)
    if args.quick:
        args.repeats, args.epochs = 2, 1
    for name in ("threads", "batch_size", "width", "repeats", "epochs"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1")
    if args.depth < 0:
        parser.error("--depth must be >= 0")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    data = load_dataset("digits", seed=SEED)
    train, valid = (data.x_train, data.y_train), (data.x_valid, data.y_valid)
    torch.manual_seed(SEED)
    init = MLP(MLPConfig(in_features=data.num_features, out_features=data.num_classes,
                         depth=args.depth, width=args.width))
    n_params = sum(p.numel() for p in init.parameters())
    steps = -(-len(train[0]) // args.batch_size)
    print(f"threads: {torch.get_num_threads()}   torch {torch.__version__}")
    print(f"data: digits, {len(train[0])} train / {len(valid[0])} valid, "
          f"{data.num_features} features, {data.num_classes} classes")
    print(f"model: MLP depth={args.depth} width={args.width}, {n_params:,} parameters")
    print(f"batch size: {args.batch_size} ({steps} steps/epoch)   "
          f"epochs per repeat: {args.epochs}   repeats: {args.repeats}")

    ok, max_diff, losses_ok = same_weights(init, train, valid, 1 if args.quick else 2,
                                           args.batch_size)
    print(f"same weights: {ok}")
    print(f"  max |w_trainer - w_hand| = {max_diff:.3g}; same losses: {losses_ok}")

    time_loops(init, train, valid, 1, args.batch_size, repeats=1 if args.quick else 2)  # warm-up
    per_epoch = time_loops(init, train, valid, args.epochs, args.batch_size, args.repeats)
    best = fastest(per_epoch)
    labels = {"trainer": "Trainer", "hand": "hand-written", "unguarded": "hand, no guard",
              "hand-again": "hand (A/A)"}
    for name, label in labels.items():
        times_ms = [1e3 * t for t in per_epoch[name]]
        print(f"{label:>14}: min {1e3 * best[name]:7.2f} ms/epoch   (median "
              f"{statistics.median(times_ms):.2f}, max {max(times_ms):.2f}; "
              f"{1e3 * best[name] / steps:.3f} ms/step)")
    paired = ratios(per_epoch["trainer"], per_epoch["hand"])
    print(f"per-repeat ratios trainer/hand: {' '.join(f'{r:.3f}' for r in paired)} "
          f"(median {statistics.median(paired):.3f})")
    print(f"guard cost (hand / hand without guard): {best['hand'] / best['unguarded']:.3f}")
    print(f"A/A, the noise floor (hand again / hand): {best['hand-again'] / best['hand']:.3f}")
    print(f"ratio trainer/hand-written: {best['trainer'] / best['hand']:.3f}")

if __name__ == "__main__":
    main()
