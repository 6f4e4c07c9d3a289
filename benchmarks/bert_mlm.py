r"""One masked-LM training step of mllab's BERT against ``transformers``' ``BertForMaskedLM``.

Work: one training step (``zero_grad``, forward, masked-LM cross-entropy, backward,
``torch.optim.Adam`` step) of :class:`mllab.pretraining.Bert` with its
:class:`mllab.pretraining.MaskedLMHead` (output layer tied to the token embedding) against
``transformers.BertForMaskedLM`` of the same sizes (built offline from a ``BertConfig``,
``layer_norm_eps = 1e-5`` as mllab's, GELU, dropout 0, no ``padding_idx`` (mllab's embedding
has none), its default attention implementation),
the mllab weights copied in (``tests/pretraining/hf_weights.py``, the parity tests' helper),
both in training mode, float32, on the same batch: random token ids masked by
:func:`mllab.pretraining.mask_tokens` (15% chosen; 80% ``[MASK]``, 10% random, 10% kept),
segments A then B, no padding. The loss is the mean cross-entropy over the chosen positions
on both sides (``ignore_index = -100``), from logits at *every* position, as
``BertForMaskedLM`` computes them. Each side has its own ``torch.optim.Adam`` (lr ``1e-4``)
over the same parameters in the same order (mllab's unused ``[CLS]`` pooler left out:
``BertForMaskedLM`` has none).

Two sizes, both reported: ``experiment``, the sizes ``bert-fill-blanks`` trains (``V = 1001``,
``d = 64``, 4 heads, ``d_ff = 256``, 2 blocks, ``B = 32`` pairs of ``T = 64`` tokens), where a
step is mostly per-operation overhead, and ``larger`` (``V = 4001``, ``d = 256``, 4 heads,
``d_ff = 1024``, 2 blocks, ``B = 16``, ``T = 128``), where it is mostly matrix products. For
information, ``chosen only``: mllab's own pre-training path (``BertPretraining.forward(...,
chosen=...)``), which computes the output layer at the chosen positions only; the same loss,
gradients and update, with about 15% of the output layer's work.

Same values, checked before timing: one step of each side from the same state in float64 (the
same weights and batch cast), then the largest difference of the losses, of every parameter's
gradient and of every parameter after the update, each relative to the largest entry of
``transformers``' own; the script refuses to time a pair above ``--tolerance``. The same in
float32 is printed for information (rounding in another order of operations).

Method (the shared ``benchmarks/timing.py``): warm up, pick per side a number of steps per
repeat that lasts about ``--repeat-ms``, then ``--repeats`` repeats going round every side of
every size, the order flipped every repeat; each side's fastest repeat (ms per step), and
"paired", the median of the per-repeat ratios. An A/A pair (``BertForMaskedLM`` against a
deep copy of itself, at each size) shows the run's noise floor. The last line is
``ratio mllab/transformers MLM step (experiment, larger): <a>, <b>``; below 1 means mllab is
faster. Target <= 1.0.

Usage::

    python benchmarks/bert_mlm.py [--threads 1] [--repeats 10] [--repeat-ms 400] [--quick]
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import torch
import torch.nn.functional as F
import transformers
from torch import Tensor, nn

from mllab.pretraining import IGNORE_INDEX, Bert, BertConfig, MaskedLMHead, mask_tokens
from timing import clocked, fastest, interleave, paired_median

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "pretraining"))
from hf_weights import bert_pairs, mlm_head_pairs  # noqa: E402

SEED = 0
LR = 1e-4
TARGET = 1.0


class Size(NamedTuple):
    r"""A model's sizes and its batch."""

    vocab: int
    d_model: int
    num_heads: int
    d_ff: int
    num_layers: int
    batch: int
    length: int


SIZES = {"experiment": Size(1001, 64, 4, 256, 2, 32, 64),
         "larger": Size(4001, 256, 4, 1024, 2, 16, 128)}


class Batch(NamedTuple):
    r"""A masked batch: inputs, segments and labels ``(B, T)``; chosen positions (bool)."""

    tokens: Tensor
    segments: Tensor
    labels: Tensor
    chosen: Tensor


class MlmBert(nn.Module):
    r"""mllab's :class:`Bert` and its tied :class:`MaskedLMHead`."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.bert = Bert(config)
        self.mlm = MaskedLMHead(self.bert)
        for m in self.modules():  # BERT's initialisation (initializer_range 0.02)
            if isinstance(m, nn.Linear | nn.Embedding):
                nn.init.normal_(m.weight, 0.0, 0.02)
        with torch.no_grad():
            for p in (*self.mlm.parameters(), *self.bert.embedding_norm.parameters()):
                p.add_(0.1 * torch.randn_like(p))  # the output bias, LayerNorms off (0, 1)

    def loss(self, b: Batch, *, chosen_only: bool = False) -> Tensor:
        r"""Mean cross-entropy over the chosen positions; logits at every position, or at the
        chosen ones only (mllab's pre-training path)."""
        h = self.bert(b.tokens, b.segments)  # (B, T, d)
        if chosen_only:
            return F.cross_entropy(self.mlm(h[b.chosen]), b.labels[b.chosen])  # (M, V)
        logits = self.mlm(h)  # (B, T, V)
        return F.cross_entropy(logits.flatten(0, 1), b.labels.flatten(),
                               ignore_index=IGNORE_INDEX)


class Side(NamedTuple):
    r"""One contestant: its training step, and its parameters in the common order."""

    step: Callable[[], Tensor]
    params: list[Tensor]


def make_side(params: list[Tensor], loss: Callable[[], Tensor]) -> Side:
    r"""``zero_grad``, ``loss()``, backward, an Adam step over ``params``; returns the loss."""
    optimizer = torch.optim.Adam(params, lr=LR)

    def step() -> Tensor:
        optimizer.zero_grad(set_to_none=True)
        value = loss()
        value.backward()
        optimizer.step()
        return value.detach()

    return Side(step, params)


def hf_config(s: Size) -> transformers.BertConfig:
    return transformers.BertConfig(
        vocab_size=s.vocab, hidden_size=s.d_model, num_hidden_layers=s.num_layers,
        num_attention_heads=s.num_heads, intermediate_size=s.d_ff, max_position_embeddings=s.length,
        type_vocab_size=2, hidden_act="gelu", layer_norm_eps=1e-5, hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0, pad_token_id=None)  # no padding_idx: id 0 learns too


def hf_loss(model: transformers.BertForMaskedLM, b: Batch) -> Tensor:
    return model(input_ids=b.tokens, token_type_ids=b.segments, labels=b.labels).loss


def make_batch(s: Size, g: torch.Generator) -> Batch:
    r"""Random ids (the last one is ``[MASK]``), segments A then B, masked as BERT does."""
    mask_id = s.vocab - 1
    tokens = torch.randint(0, mask_id, (s.batch, s.length), generator=g)  # (B, T)
    segments = (torch.arange(s.length) >= s.length // 2).long().expand(s.batch, -1)  # (B, T)
    m = mask_tokens(tokens, torch.ones_like(tokens, dtype=torch.bool), mask_id=mask_id,
                    vocab=mask_id, generator=g)
    return Batch(m.inputs, segments.contiguous(), m.labels, m.chosen)


def build(s: Size, dtype: torch.dtype) -> dict[str, Side]:
    r"""The sides of one size, from the same seeded weights and batch in ``dtype``."""
    torch.manual_seed(SEED)
    ours = MlmBert(BertConfig(vocab=s.vocab, d_model=s.d_model, num_heads=s.num_heads,
                              d_ff=s.d_ff, num_layers=s.num_layers, max_len=s.length)).to(dtype)
    theirs = transformers.BertForMaskedLM(hf_config(s)).to(dtype).train()
    assert theirs.cls.predictions.decoder.weight is theirs.bert.embeddings.word_embeddings.weight
    pairs = bert_pairs(ours.bert, theirs.bert) + mlm_head_pairs(ours.mlm, theirs.cls.predictions)
    with torch.no_grad():
        for _, mine, hf in pairs:
            hf.copy_(mine)
    n_hf = sum(p.numel() for p in theirs.parameters())
    assert sum(p.numel() for _, _, p in pairs) == n_hf, "a transformers weight is not paired"
    chosen_model, aa_model = copy.deepcopy(ours), copy.deepcopy(theirs)
    chosen_pairs = bert_pairs(chosen_model.bert, theirs.bert) + mlm_head_pairs(
        chosen_model.mlm, theirs.cls.predictions)
    aa_params = bert_pairs(ours.bert, aa_model.bert) + mlm_head_pairs(
        ours.mlm, aa_model.cls.predictions)
    b = make_batch(s, torch.Generator().manual_seed(SEED))
    ours.train()
    chosen_model.train()
    return {
        "mllab": make_side([p for _, p, _ in pairs], lambda: ours.loss(b)),
        "transformers": make_side([p for _, _, p in pairs], lambda: hf_loss(theirs, b)),
        "mllab chosen only": make_side([p for _, p, _ in chosen_pairs],
                                       lambda: chosen_model.loss(b, chosen_only=True)),
        "transformers again": make_side([p for _, _, p in aa_params],
                                        lambda: hf_loss(aa_model, b)),
    }


def relative_diff(a: list[Tensor], b: list[Tensor]) -> float:
    r"""Largest ``|a - b|`` over pairs of tensors, relative to the largest ``|b|``."""
    diff = max((x - y).abs().max().item() for x, y in zip(a, b, strict=True))
    return diff / max(y.abs().max().item() for y in b)


def check(sides: dict[str, Side]) -> dict[str, tuple[float, float, float]]:
    r"""One step of every side from the same state: relative differences of the loss, the
    gradients and the updated parameters of each side against ``transformers``'."""
    results = {}
    for name, side in sides.items():
        loss = side.step()
        results[name] = ([loss], [p.grad.clone() for p in side.params],
                         [p.detach().clone() for p in side.params])
    ref = results["transformers"]
    return {name: tuple(relative_diff(r[i], ref[i]) for i in range(3))  # type: ignore[misc]
            for name, r in results.items() if name != "transformers"}


def steps_per_repeat(step: Callable[[], Tensor], repeat_s: float) -> int:
    r"""Warm ``step`` up and return how many steps last about ``repeat_s`` seconds."""
    step()
    seconds = min(clocked(step)[0] for _ in range(2))
    return max(1, round(repeat_s / seconds))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    parser.add_argument("--repeats", type=int, default=10, help="timed repeats per side")
    parser.add_argument("--repeat-ms", type=float, default=400.0,
                        help="approximate length of one repeat")
    parser.add_argument("--tolerance", type=float, default=1e-10,
                        help="largest relative float64 difference allowed before timing")
    parser.add_argument("--quick", action="store_true", help="smoke run: 2 short repeats")
    args = parser.parse_args(argv)
    if args.quick:
        args.repeats, args.repeat_ms = 2, 5.0
    if min(args.threads, args.repeats) < 1:
        parser.error("--threads and --repeats must be >= 1")
    if not args.repeat_ms > 0:
        parser.error("--repeat-ms must be > 0")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    print(f"threads: {torch.get_num_threads()}   torch {torch.__version__}   transformers "
          f"{transformers.__version__}   repeats: {args.repeats} of ~{args.repeat_ms:g} ms")
    sides: dict[tuple[str, str], Callable[[], Tensor]] = {}
    for label, s in SIZES.items():
        print(f"{label}: V={s.vocab} d={s.d_model} heads={s.num_heads} d_ff={s.d_ff} "
              f"blocks={s.num_layers}, B={s.batch} x T={s.length}")
        for dtype, decides in ((torch.float64, True), (torch.float32, False)):
            for name, (loss, grads, params) in check(build(s, dtype)).items():
                print(f"  {str(dtype)[6:]:>7} {name:<18} vs transformers: loss {loss:.1e}, "
                      f"gradients {grads:.1e}, updated weights {params:.1e} (relative)")
                if decides and max(loss, grads, params) > args.tolerance:
                    raise SystemExit(f"{label}: {name} differs from transformers in float64")
        for name, side in build(s, torch.float32).items():
            sides[label, name] = side.step
    repeat_s = args.repeat_ms / 1e3
    n_steps = {key: steps_per_repeat(fn, repeat_s) for key, fn in sides.items()}

    def measure(key: tuple[str, str]) -> float:
        fn, n = sides[key], n_steps[key]

        def run() -> None:
            for _ in range(n):
                fn()
        return clocked(run)[0] / n

    seconds = interleave(list(sides), args.repeats, measure)
    best = fastest(seconds)
    print(f"{'size':<10} {'side':<18} {'steps':>5} {'ms / step':>10} {'median':>9}")
    for (label, name), values in seconds.items():
        print(f"{label:<10} {name:<18} {n_steps[label, name]:>5} "
              f"{1e3 * best[label, name]:>10.3f} {1e3 * statistics.median(values):>9.3f}")
    ratio = {}
    for label in SIZES:
        ratio[label] = best[label, "mllab"] / best[label, "transformers"]
        paired = paired_median(seconds[label, "mllab"], seconds[label, "transformers"])
        chosen = best[label, "mllab chosen only"] / best[label, "transformers"]
        aa = best[label, "transformers again"] / best[label, "transformers"]
        print(f"{label}: mllab/transformers {ratio[label]:.3f} (paired {paired:.3f}); "
              f"A/A (transformers again / transformers) {aa:.3f}; target <= {TARGET:g}: "
              f"{'met' if ratio[label] <= TARGET else 'NOT met'}; chosen only (information) "
              f"{chosen:.3f}")
    print("ratio mllab/transformers MLM step (experiment, larger): "
          f"{', '.join(f'{ratio[label]:.3f}' for label in SIZES)}")


if __name__ == "__main__":
    main()
