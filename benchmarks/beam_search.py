r"""Cost per generated token of batched beam search (beam 4) against greedy decoding.

Work: the same :class:`mllab.transformer.Transformer` (encoder-decoder, post-LN, ``d_model =
256``, 8 heads, ``d_ff = 1024``, 2 + 2 blocks, vocabularies of 1,000; seeded random weights,
eval mode, ``torch.inference_mode``, float32) decodes a batch of ``B`` random source
sentences of ``S = 32`` tokens through its incremental cache
(:meth:`Transformer.step_function`): :func:`mllab.decoding.greedy_decode` against
:func:`mllab.decoding.beam_search` with ``beam_width=4`` (``alpha = 0``; both with the
default ``reorder_state``). The source is encoded once, before the clock; each timed call
starts from a fresh cache (``{"memory", "src_lengths", "cache": model.new_cache()}``), so
the clock holds decoding only (the encoder's time is printed for information).

Equal output lengths: EOS is token ``V`` (one past the vocabulary), which no step can
produce, so every sequence, greedy or beam, is exactly ``--max-len`` (32) tokens long and
beam search never stops early. The script checks this before timing (greedy lengths, the best
hypotheses' lengths), and that beam search with width 1 returns greedy's tokens (the same
model, the same cache path). Both sides produce ``B x max_len`` tokens; beam search computes
``4 B`` hypotheses per step to get them, so "per generated token" is the time per call over
``B x max_len``, the same divisor on both sides, and the ratio is that of the calls' times.

Batch sizes ``B = 1, 8, 32`` (``--batches``): one sentence at a time, a small and a usual
evaluation batch. The ratio depends strongly on ``B`` on a CPU: at ``B = 1`` a step is mostly
per-call overhead, which the 4 rows of the beam share; at ``B = 32`` it is mostly arithmetic,
which grows with the rows. All three are reported, each against the target <= 1.5.

Method (the shared ``benchmarks/timing.py``): warm up, pick per side a number of calls per
repeat that lasts about ``--repeat-ms``, then ``--repeats`` repeats going round every batch
size, greedy and beam in turn with the order flipped every repeat; each side's fastest repeat
(time per call), and "paired", the median of the per-repeat ratios. An A/A pair (greedy
against itself at ``B = 8``) shows the run's noise floor. For information, beam search with
:func:`reorder_live_only` (the memory and its cross-attention keys and values left in place,
exact for beam search) shows what the default reorder spends copying them every step. The
last line is
``ratio beam(4)/greedy per generated token (B=1, 8, 32): <a>, <b>, <c>``.

Usage::

    python benchmarks/beam_search.py [--threads 1] [--repeats 10] [--repeat-ms 300]
                                     [--max-len 32] [--batches 1 8 32] [--quick]
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Callable
from typing import NamedTuple

import torch
from torch import Tensor

from mllab.decoding import beam_search, greedy_decode
from mllab.decoding.step import Reorder, reorder_state
from mllab.transformer import Transformer, TransformerConfig
from mllab.transformer.decoder_block import DecoderBlockCache
from timing import clocked, fastest, interleave, paired_median

SEED = 0
BOS, BEAM, SOURCE_LENGTH = 1, 4, 32
TARGET = 1.5


class Decoders(NamedTuple):
    r"""Greedy and beam search of one batch, each a call returning its tokens ``(B, L)``."""

    greedy: Callable[[], Tensor]
    beam: Callable[[], Tensor]
    beam_static: Callable[[], Tensor]
    r"""Beam search with :func:`reorder_live_only` (information)."""
    beam_one: Callable[[], Tensor]
    r"""Beam search of width 1 (for the check that it equals greedy)."""


def reorder_live_only(state: dict, index: Tensor) -> dict:
    r"""Reorder only the self-attention caches; keep the memory and its cross-attention keys
    and values as they are.

    Exact for beam search alone: it moves a hypothesis only between the ``K`` rows of its own
    batch item, which hold the same source, so the same memory and the same cross-attention
    keys and values. (Not a general ``reorder``: an index across items would need them moved.)
    It shows what the default ``reorder_state`` spends on copying that static part. The first
    call (``init_state`` repeated to ``B K`` rows, the cache still empty) reorders everything.
    """
    if state["cache"][0].self_attn.k is None:
        return reorder_state(state, index)
    cache = [DecoderBlockCache(self_attn=reorder_state(c.self_attn, index),
                               cross_attn=c.cross_attn) for c in state["cache"]]
    return {**state, "cache": cache}


def model_config() -> TransformerConfig:
    r"""The decoded model's sizes."""
    return TransformerConfig(src_vocab=1000, tgt_vocab=1000, d_model=256, num_heads=8,
                             d_ff=1024, num_encoder_layers=2, num_decoder_layers=2,
                             max_len=128)


def decoders(model: Transformer, src: Tensor, max_len: int) -> tuple[Decoders, float]:
    r"""The decoders of ``src`` ``(B, S)``, and the seconds of its encoding (information)."""
    eos = model.config.tgt_vocab  # never produced: every sequence runs to max_len
    seconds, (step_fn, state) = clocked(lambda: model.step_function(src))
    memory, B = state["memory"], src.shape[0]

    def fresh() -> dict:
        return {"memory": memory, "src_lengths": None, "cache": model.new_cache()}

    def greedy() -> Tensor:
        return greedy_decode(step_fn, BOS, eos, max_len, B, init_state=fresh(), pad=0).tokens

    def beam(width: int = BEAM, reorder: Reorder = reorder_state) -> Tensor:
        return beam_search(step_fn, BOS, eos, max_len, B, beam_width=width, init_state=fresh(),
                           pad=0, reorder=reorder).tokens

    return Decoders(greedy, beam, lambda: beam(reorder=reorder_live_only), lambda: beam(1)), \
        seconds


def check(model: Transformer, src: Tensor, max_len: int, d: Decoders) -> str:
    r"""Refuse unequal work: both sides' outputs ``max_len`` long, width 1 equal to greedy."""
    eos = model.config.tgt_vocab
    step_fn, _ = model.step_function(src)
    state = {"memory": model.encode(src), "src_lengths": None, "cache": model.new_cache()}
    g = greedy_decode(step_fn, BOS, eos, max_len, src.shape[0], init_state=state, pad=0)
    state = {"memory": model.encode(src), "src_lengths": None, "cache": model.new_cache()}
    b = beam_search(step_fn, BOS, eos, max_len, src.shape[0], beam_width=BEAM,
                    init_state=state, pad=0)
    if not (bool((g.lengths == max_len).all()) and bool((b.lengths[:, 0] == max_len).all())
            and g.tokens.shape[1] == b.tokens.shape[1] == max_len):
        raise SystemExit("the two sides did not generate max_len tokens per sequence")
    if not torch.equal(d.beam_one(), d.greedy()):
        raise SystemExit("beam search of width 1 differs from greedy decoding")
    if not torch.equal(d.beam_static(), b.tokens):
        raise SystemExit("reorder_live_only changed the beam search's output")
    better = (b.log_probs[:, 0] >= g.log_prob - 1e-4).float().mean().item()
    return (f"every sequence {max_len} tokens on both sides; width 1 == greedy; "
            f"live-only reorder == default; "
            f"beam log P >= greedy log P for {better:.0%} of the items")


def calls_per_repeat(fn: Callable[[], object], repeat_s: float) -> int:
    r"""Warm ``fn`` up and return how many calls last about ``repeat_s`` seconds."""
    fn()
    seconds = min(clocked(fn)[0] for _ in range(2))
    return max(1, round(repeat_s / seconds))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    parser.add_argument("--repeats", type=int, default=10, help="timed repeats per side")
    parser.add_argument("--repeat-ms", type=float, default=300.0,
                        help="approximate length of one repeat")
    parser.add_argument("--max-len", type=int, default=32, help="tokens generated per sequence")
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 8, 32],
                        help="batch sizes B (sentences decoded together)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 2 short repeats")
    args = parser.parse_args(argv)
    if args.quick:
        args.repeats, args.repeat_ms, args.max_len, args.batches = 2, 5.0, 6, [1, 4]
    if min(args.threads, args.repeats, args.max_len, *args.batches) < 1:
        parser.error("--threads, --repeats, --max-len and --batches must be >= 1")
    if not args.repeat_ms > 0:
        parser.error("--repeat-ms must be > 0")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    config = model_config()
    torch.manual_seed(SEED)  # nn.Linear / nn.Embedding initialise from the global generator
    model = Transformer(config).eval()
    g = torch.Generator().manual_seed(SEED)
    L = args.max_len
    print(f"threads: {torch.get_num_threads()}   torch {torch.__version__}   "
          f"repeats: {args.repeats} of ~{args.repeat_ms:g} ms")
    print(f"model: Transformer d_model={config.d_model} heads={config.num_heads} "
          f"d_ff={config.d_ff} layers={config.num_encoder_layers}+{config.num_decoder_layers} "
          f"V={config.tgt_vocab}; source length {SOURCE_LENGTH}, {L} tokens generated per "
          f"sequence (EOS never produced), beam width {BEAM}, alpha 0")

    with torch.inference_mode():
        cases: dict[int, Decoders] = {}
        for B in args.batches:
            src = torch.randint(config.src_vocab, (B, SOURCE_LENGTH), generator=g)  # (B, S)
            cases[B], encode_s = decoders(model, src, L)
            print(f"B={B:>3}: {check(model, src, L, cases[B])}; encoding "
                  f"{1e3 * encode_s:.1f} ms (not timed)")
        aa = min(args.batches, key=lambda B: abs(B - 8))
        sides: dict[tuple[int, str], Callable[[], Tensor]] = {}
        for B, d in cases.items():
            sides[B, "greedy"], sides[B, "beam"] = d.greedy, d.beam
            sides[B, "beam live-only"] = d.beam_static
        sides[aa, "greedy again"] = cases[aa].greedy
        repeat_s = args.repeat_ms / 1e3
        n_calls = {key: calls_per_repeat(fn, repeat_s) for key, fn in sides.items()}

        def measure(key: tuple[int, str]) -> float:
            fn, n = sides[key], n_calls[key]

            def run() -> None:
                for _ in range(n):
                    fn()
            return clocked(run)[0] / n

        seconds = interleave(list(sides), args.repeats, measure)
    best = fastest(seconds)

    print(f"{'B':>3} {'side':<14} {'calls':>5} {'ms / call':>10} {'median':>9} "
          f"{'us / token':>11}")
    for (B, side), values in seconds.items():
        print(f"{B:>3} {side:<14} {n_calls[B, side]:>5} {1e3 * best[B, side]:>10.3f} "
              f"{1e3 * statistics.median(values):>9.3f} {1e6 * best[B, side] / (B * L):>11.1f}")
    ratio: dict[int, float] = {}
    for B in cases:
        ratio[B] = best[B, "beam"] / best[B, "greedy"]
        paired = paired_median(seconds[B, "beam"], seconds[B, "greedy"])
        live = best[B, "beam live-only"] / best[B, "greedy"]
        print(f"B={B:>3}: beam/greedy per generated token {ratio[B]:.3f} (paired {paired:.3f})"
              f"; target <= {TARGET:g}: {'met' if ratio[B] <= TARGET else 'NOT met'}; "
              f"live-only reorder (information) {live:.3f}")
    print(f"A/A, the noise floor (greedy again / greedy, B={aa}): "
          f"{best[aa, 'greedy again'] / best[aa, 'greedy']:.3f}")
    batches = ", ".join(str(B) for B in cases)
    print(f"ratio beam({BEAM})/greedy per generated token (B={batches}): "
          f"{', '.join(f'{ratio[B]:.3f}' for B in cases)}")


if __name__ == "__main__":
    main()
