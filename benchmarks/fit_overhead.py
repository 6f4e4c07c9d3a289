r"""Epoch time of ``mllab fit``'s training against a hand-written PyTorch loop on the same data.

Data: a synthetic table shaped like the course's first homework,
``mllab.data.write_covid_like_csv(path, rows=2700, days=3, seed=0)`` read with
``load_csv(path, target="tested_positive.2")`` (93 features) and split with
``train_valid_split(2700, 0.2, seed)`` (2,160 training rows, 540 validation rows).

**mllab** is what ``mllab fit`` runs for one model (:func:`mllab.experiments.fit.train_model`):
``TabularEstimator(EstimatorConfig(select=16, hidden=(16, 8), optimizer="adam", lr=1e-3,
epochs=E, batch_size=256, patience=None), seed=seed)``, ``p = est.prepare(x_train, y_train,
(x_valid, y_valid))`` (feature selection, standardization, a fresh MLP 16→16→8→1 and
``mllab.optim.Adam``; done before the clock starts), then, timed, ``Trainer(p.model,
p.optimizer, p.loss_fn, p.config, generator=...)`` and ``.fit(p.train, p.valid)``: the general
loop (:func:`mllab.train.run_loop`) with its NaN/inf guard, ``checkpoint_dir=None``. The
command itself trains inside a run's trial, which adds a checkpoint folder (at most one
checkpoint every ``MLLAB_CHECKPOINT_SECONDS=5`` s, and one at the end), a log line per epoch
and a progress bar on a terminal; the row ``mllab + checkpoints`` (information) times the
same fit with a fresh checkpoint folder in a temporary directory at the default 5 s cadence,
so a repeat shorter than 5 s writes only the final checkpoint.

**hand-written**: the same preprocessed tensors (``p.train``, ``p.valid``), a new
``MLP`` with the same initial weights (the state dict copied), the same optimizer class
(``mllab.optim.Adam(lr=1e-3)``), the same loss (MSE), the same batch order (one
``torch.randperm(n, generator=g)`` per epoch, ``g`` seeded identically), zero_grad, backward,
``loss.item()``, step; the epoch's mean training loss and a validation pass (eval mode,
no_grad) at the end of every epoch. No NaN/inf guard, as a student writes it; the row
``hand + guard`` (information) adds the Trainer's guard (one fused finiteness check of the
gradients before each step) to show what part of the difference it is.

Before timing, the script trains both sides (``est.fit`` itself for mllab) from the same
initial weights and checks that they end with bitwise-identical weights.

Method (the shared one, ``benchmarks/timing.py``): warm up, then ``--repeats`` repeats of
``--epochs`` epochs of every side in turn, the order flipped every repeat; each side's fastest
repeat in ms per epoch, the median of the per-repeat ratios mllab / hand ("paired"), and an A/A
pair (the hand loop against itself) for the noise floor of the run.

For information, **2 processes against 1** on the same global batch of 256:
:func:`mllab.train.distributed.launch` of the same estimator's ``Trainer.fit`` on 1 process (in
this one, no process group) and on 2 (gloo on the CPU, DistributedDataParallel, 128 rows of
each global batch per rank, 1 thread each); examples per second of each side's fastest fit of
``--dist-epochs`` epochs, each validation pass (which every rank runs on all 540 rows) included.

The last line is ``ratio mllab/hand-written (ms per epoch): <fastest mllab / fastest hand>``;
below 1 means mllab is faster.

Usage::

    python benchmarks/fit_overhead.py [--threads 1] [--epochs 20] [--repeats 20]
                                      [--dist-epochs 10] [--dist-repeats 5] [--quick]
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import tempfile
import time
from pathlib import Path

import torch
from torch import Tensor, nn

from mllab.data import load_csv, train_valid_split, write_covid_like_csv
from mllab.nn import MLP
from mllab.optim import Adam
from mllab.train import EstimatorConfig, TabularEstimator, Trainer, derive_seed
from mllab.train.distributed import is_main, launch
from mllab.train.guard import FiniteGradients
from mllab.train.trainer import LossFn
from timing import clocked, fastest, interleave, ratios

Data = tuple[Tensor, Tensor]
SEED = 0
GLOBAL_BATCH = 256
SIDES = {"mllab": "mllab fit", "hand": "hand-written", "hand-again": "hand (A/A)",
         "guarded": "hand + guard", "checkpointed": "mllab + checkpoints"}


def estimator_config(epochs: int) -> EstimatorConfig:
    r"""The recipe ``mllab fit`` trains (the homework's sample network), for ``epochs``."""
    return EstimatorConfig(select=16, hidden=(16, 8), optimizer="adam", lr=1e-3,
                           epochs=epochs, batch_size=GLOBAL_BATCH, patience=None)


def load_table(folder: Path) -> tuple[Data, Data]:
    r"""The synthetic homework table, split as ``mllab fit`` splits it: (train, valid) rows."""
    path = write_covid_like_csv(folder / "covid_like.csv", rows=2700, days=3, seed=0)
    table = load_csv(path, target="tested_positive.2")
    train_rows, valid_rows = train_valid_split(len(table.y), 0.2, SEED)
    return ((table.x[train_rows], table.y[train_rows]),
            (table.x[valid_rows], table.y[valid_rows]))


def batch_generator() -> torch.Generator:
    r"""The batch-order generator, seeded as :meth:`TabularEstimator.fit` seeds it."""
    return torch.Generator().manual_seed(derive_seed(SEED, "batches"))


def hand_loop(model: nn.Module, optimizer: torch.optim.Optimizer, loss_fn: LossFn, train: Data,
              valid: Data, epochs: int, batch_size: int, generator: torch.Generator, *,
              guard: bool = False) -> list[tuple[float, float]]:
    r"""Plain PyTorch training; returns ``(train_loss, valid_loss)`` per epoch. With
    ``guard``, the Trainer's check that every gradient is finite before each step."""
    x, y = train
    x_valid, y_valid = valid
    n = len(x)
    check = FiniteGradients(list(model.parameters())) if guard else None
    history = []
    for _ in range(epochs):
        model.train()
        order = torch.randperm(n, generator=generator)  # (n,)
        loss_sum, count = 0.0, 0
        for idx in torch.split(order, batch_size):
            loss = loss_fn(model(x[idx]), y[idx])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            value = loss.item()
            if check is not None and not check():
                raise FloatingPointError("non-finite gradient")
            optimizer.step()
            loss_sum += value * len(idx)
            count += len(idx)
        model.eval()
        with torch.no_grad():
            valid_loss = loss_fn(model(x_valid), y_valid).item()
        history.append((loss_sum / count, valid_loss))
    return history


class Bench:
    r"""Both sides' set-up on one table: a fresh model, optimizer and generator per run, made
    before the clock starts."""

    def __init__(self, train: Data, valid: Data, epochs: int, folder: Path) -> None:
        self.raw_train, self.raw_valid, self.epochs, self.folder = train, valid, epochs, folder
        self.est = TabularEstimator(estimator_config(epochs), seed=SEED)
        p = self.est.prepare(*train, valid)
        self.train, self.valid, self.loss_fn = p.train, p.valid, p.loss_fn
        self.mlp_config = p.model.config
        self.init = {k: v.clone() for k, v in p.model.state_dict().items()}

    def hand_model(self) -> tuple[nn.Module, torch.optim.Optimizer]:
        model = MLP(self.mlp_config)
        model.load_state_dict(self.init)
        return model, Adam(model.parameters(), lr=self.est.config.lr)

    def run(self, side: str) -> tuple[float, nn.Module, list[tuple[float, float]]]:
        r"""Train a fresh model with ``side``; (seconds, model, (train, valid) loss per epoch)."""
        generator = batch_generator()
        if side in ("mllab", "checkpointed"):
            p = self.est.prepare(*self.raw_train, self.raw_valid)  # what `mllab fit` trains
            folder = None
            if side == "checkpointed":  # a fresh folder: nothing to resume
                folder = Path(tempfile.mkdtemp(prefix="checkpoints-", dir=self.folder))

            def fit() -> list[tuple[float, float]]:
                trainer = Trainer(p.model, p.optimizer, p.loss_fn, p.config,
                                  generator=generator, checkpoint_dir=folder)
                result = trainer.fit(p.train, p.valid)
                return [(line["train_loss"], line["valid_loss"]) for line in result.history]

            seconds, history = clocked(fit)
            return seconds, p.model, history
        model, optimizer = self.hand_model()
        seconds, history = clocked(lambda: hand_loop(
            model, optimizer, self.loss_fn, self.train, self.valid, self.epochs, GLOBAL_BATCH,
            generator, guard=side == "guarded"))
        return seconds, model, history


def same_weights(bench: Bench) -> tuple[bool, float, bool, bool]:
    r"""``est.fit`` (the estimator's own entry point), the timed Trainer side and the hand
    loop from the same weights and seed: (bitwise-equal weights, max |Δw|, the timed side
    equal to ``est.fit`` bitwise, losses equal to 1e-6)."""
    est = TabularEstimator(estimator_config(bench.epochs), seed=SEED)
    fit = est.fit(*bench.raw_train, valid=bench.raw_valid)
    _, model_t, _ = bench.run("mllab")
    _, model_h, hist_h = bench.run("hand")
    pairs = list(zip(est.model.parameters(), model_h.parameters(), strict=True))
    bitwise = all(torch.equal(a, b) for a, b in pairs)
    diff = max((a - b).abs().max().item() for a, b in pairs)
    timed = all(torch.equal(a, b) for a, b in zip(est.model.parameters(), model_t.parameters(),
                                                   strict=True))
    losses = all(abs(a - b) <= 1e-6 * max(1.0, abs(b))
                 for line, (train_h, valid_h) in zip(fit.history, hist_h, strict=True)
                 for a, b in ((line["train_loss"], train_h), (line["valid_loss"], valid_h)))
    return bitwise, diff, timed, losses


# ------------------------------------------------------------------ 2 processes against 1
def dist_worker(train: Data, valid: Data, epochs: int, repeats: int, out: str) -> None:
    r"""One rank (or the only process): warm up, then ``repeats`` fits of ``epochs`` epochs of
    the estimator's Trainer, each from the same initial weights; rank 0 writes the seconds of
    each fit and the final weights to ``out`` (JSON)."""
    est = TabularEstimator(estimator_config(epochs), seed=SEED)
    seconds, model = [], None
    for r in range(repeats + 1):  # fit 0 is the warm-up
        p = est.prepare(*train, valid)
        trainer = Trainer(p.model, p.optimizer, p.loss_fn, p.config, generator=batch_generator())
        start = time.perf_counter()
        trainer.fit(p.train, p.valid)
        if r:
            seconds.append(time.perf_counter() - start)
        model = p.model
    if is_main():
        weights = {k: v.tolist() for k, v in model.state_dict().items()}
        Path(out).write_text(json.dumps({"seconds": seconds, "weights": weights,
                                         "examples": len(train[0]) * epochs}))


def processes_vs_one(train: Data, valid: Data, epochs: int, repeats: int, rounds: int,
                     folder: Path) -> dict:
    r"""Examples per second of the fastest fit on 1 and on 2 processes (``rounds`` launches
    of each, the order flipped every round), and the largest weight difference between them."""
    results: dict[int, list[dict]] = {1: [], 2: []}
    for r in range(rounds):
        for nproc in (1, 2)[:: 1 if r % 2 == 0 else -1]:
            out = folder / f"dist-{nproc}-{r}.json"
            launch(dist_worker, nproc, train, valid, epochs, repeats, str(out), timeout=600)
            results[nproc].append(json.loads(out.read_text()))
    best = {n: min(s for res in results[n] for s in res["seconds"]) for n in results}
    w1, w2 = results[1][0]["weights"], results[2][0]["weights"]
    diff = max((torch.tensor(w1[k]) - torch.tensor(w2[k])).abs().max().item() for k in w1)
    examples = results[1][0]["examples"]
    return {"per_second": {n: examples / best[n] for n in best}, "best": best, "diff": diff,
            "fits": {n: sum(len(res["seconds"]) for res in results[n]) for n in results}}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    parser.add_argument("--epochs", type=int, default=20, help="epochs per timed repeat")
    parser.add_argument("--repeats", type=int, default=20, help="timed repeats per side")
    parser.add_argument("--dist-epochs", type=int, default=10,
                        help="epochs per fit in the 2-vs-1-process comparison")
    parser.add_argument("--dist-repeats", type=int, default=5,
                        help="timed fits per launch in the 2-vs-1-process comparison")
    parser.add_argument("--dist-rounds", type=int, default=2,
                        help="launches of each of 1 and 2 processes (order flipped)")
    parser.add_argument("--no-dist", action="store_true",
                        help="skip the 2-vs-1-process comparison")
    parser.add_argument("--quick", action="store_true", help="smoke run: 2 repeats of 2 epochs")
    args = parser.parse_args(argv)
    if args.quick:
        args.epochs, args.repeats, args.dist_epochs, args.dist_repeats = 2, 2, 2, 1
    for name in ("threads", "epochs", "repeats", "dist_epochs", "dist_repeats", "dist_rounds"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory(prefix="mllab-fit-bench-") as tmp:
        folder = Path(tmp)
        train, valid = load_table(folder)
        bench = Bench(train, valid, args.epochs, folder)
        steps = -(-len(bench.train[0]) // GLOBAL_BATCH)
        print(f"threads: {torch.get_num_threads()}   torch {torch.__version__}")
        print(f"data: covid-like CSV (2700 rows, days=3, seed=0), {train[0].shape[1]} "
              f"features -> select 16; {len(train[0])} train / {len(valid[0])} valid")
        print(f"model: MLP 16-16-8-1, mllab.optim.Adam(lr=1e-3), MSE; batch {GLOBAL_BATCH} "
              f"({steps} updates/epoch)   epochs per repeat: {args.epochs}   "
              f"repeats: {args.repeats}")
        print("mllab side: Trainer.fit with checkpoint_dir=None (the checkpointed row: a fresh "
              "folder, 5 s cadence)")

        bitwise, diff, timed, losses = same_weights(bench)
        print(f"same weights (est.fit vs hand loop, bitwise): {bitwise}   max |dw| = {diff:.3g}"
              f"; timed Trainer side == est.fit: {timed}; same losses: {losses}")

        warmup = Bench(train, valid, 1, folder)
        gc.collect()
        gc.freeze()  # the modules' objects out of every later collection: clocked()'s gc is quick
        interleave(list(SIDES), 1 if args.quick else 3, lambda side: warmup.run(side)[0])
        per_epoch = interleave(list(SIDES), args.repeats,
                               lambda side: bench.run(side)[0] / args.epochs)
        best = fastest(per_epoch)
        for side, label in SIDES.items():
            times_ms = [1e3 * t for t in per_epoch[side]]
            print(f"{label:>19}: min {1e3 * best[side]:7.3f} ms/epoch   (median "
                  f"{statistics.median(times_ms):.3f}, max {max(times_ms):.3f}; "
                  f"{1e3 * best[side] / steps:.3f} ms/update)")
        paired = ratios(per_epoch["mllab"], per_epoch["hand"])
        print(f"per-repeat ratios mllab/hand: {' '.join(f'{r:.3f}' for r in paired)} "
              f"(median {statistics.median(paired):.3f})")
        print(f"guard (hand + guard / hand): {best['guarded'] / best['hand']:.3f}   "
              f"checkpoints (mllab + checkpoints / mllab): "
              f"{best['checkpointed'] / best['mllab']:.3f}")
        print(f"A/A, the noise floor (hand again / hand): {best['hand-again'] / best['hand']:.3f}")

        if not args.no_dist:
            d = processes_vs_one(train, valid, args.dist_epochs, args.dist_repeats,
                                 1 if args.quick else args.dist_rounds, folder)
            one, two = d["per_second"][1], d["per_second"][2]
            print(f"1 process : {one:9.0f} examples/s   (fastest of {d['fits'][1]} fits of "
                  f"{args.dist_epochs} epochs, {1e3 * d['best'][1]:.1f} ms)")
            print(f"2 processes: {two:8.0f} examples/s   (fastest of {d['fits'][2]} fits, "
                  f"{1e3 * d['best'][2]:.1f} ms; gloo, 1 thread each, 128 rows per rank per "
                  f"update; max |w_2 - w_1| = {d['diff']:.3g})")
            print(f"speed-up 2 processes / 1 (examples per second, information): "
                  f"{two / one:.3f}")
    print(f"ratio mllab/hand-written (ms per epoch): {best['mllab'] / best['hand']:.3f}")


if __name__ == "__main__":
    main()
