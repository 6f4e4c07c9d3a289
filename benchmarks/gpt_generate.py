r"""Greedy generation with the key/value cache: mllab's GPT against ``transformers``' ``generate``.

Work: :class:`mllab.pretraining.GPT` (``V = 2000``, ``d = 256``, 4 heads, ``d_ff = 1024``, 4
pre-LN blocks, context 256; seeded random weights, eval mode, float32) generates through its
cache (:meth:`GPT.step_function`) with :func:`mllab.decoding.greedy_decode`, against
``transformers.GPT2LMHeadModel`` of the same sizes (built offline from a ``GPT2Config``, its
default attention implementation, the mllab weights copied in by
``tests/pretraining/hf_weights.py``, the parity tests' helper) calling ``generate(prompt,
attention_mask=1, max_new_tokens=N, do_sample=False, use_cache=True)``. Both run under
``torch.inference_mode``, from the same random prompt of ``t0 = 32`` tokens, ``N = 64`` new
tokens per sequence (``--new-tokens``), each call from an empty cache. Equal work: no EOS can
stop either side early (mllab's EOS is token ``V``, one past the vocabulary; ``transformers``
has ``eos_token_id = None``), so both write ``B x N`` tokens; the script checks before timing
that the generated token ids are equal, in float64 (which decides: it refuses to time
otherwise) and in float32 (printed). Batch sizes ``B = 1`` (one user, where a step is mostly
per-call overhead) and ``B = 8``, both reported.

Reported: tokens per second of each side (``B x N`` over the fastest call) and the time ratio
mllab / ``transformers`` (below 1: mllab is faster). Target <= 1.0.

Method (the shared ``benchmarks/timing.py``): warm up, pick per side a number of calls per
repeat that lasts about ``--repeat-ms``, then ``--repeats`` repeats going round every side of
every batch size, the order flipped every repeat; each side's fastest repeat, and "paired", the
median of the per-repeat ratios. An A/A pair (``generate`` of a deep copy of the
``transformers`` model against the model itself, ``B = 1``) shows the run's noise floor. The
last line is ``ratio mllab/transformers generation time (B=1, 8): <a>, <b>``.

Usage::

    python benchmarks/gpt_generate.py [--threads 1] [--repeats 10] [--repeat-ms 300]
                                      [--new-tokens 64] [--batches 1 8] [--quick]
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
from collections.abc import Callable
from pathlib import Path

import torch
import transformers
from torch import Tensor

from mllab.decoding import greedy_decode
from mllab.pretraining import GPT, GPTConfig
from timing import clocked, fastest, interleave, paired_median

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "pretraining"))
from hf_weights import copy_gpt  # noqa: E402

SEED = 0
PROMPT = 32
TARGET = 1.0
CONFIG = GPTConfig(vocab=2000, d_model=256, num_heads=4, d_ff=1024, num_layers=4, max_len=256)


def models(dtype: torch.dtype) -> tuple[GPT, transformers.GPT2LMHeadModel]:
    r"""mllab's GPT with seeded weights and ``GPT2LMHeadModel`` holding the same, in ``dtype``."""
    torch.manual_seed(SEED)
    ours = GPT(CONFIG).to(dtype).eval()
    c = CONFIG
    theirs = transformers.GPT2LMHeadModel(transformers.GPT2Config(
        vocab_size=c.vocab, n_embd=c.d_model, n_head=c.num_heads, n_inner=c.d_ff,
        n_layer=c.num_layers, n_positions=c.max_len, resid_pdrop=0.0, embd_pdrop=0.0,
        attn_pdrop=0.0, layer_norm_epsilon=1e-5, bos_token_id=None, eos_token_id=None,
        pad_token_id=0)).to(dtype).eval()
    copy_gpt(ours, theirs)
    assert theirs.lm_head.weight is theirs.transformer.wte.weight
    return ours, theirs


def mllab_generate(model: GPT, prompt: Tensor, n: int) -> Callable[[], Tensor]:
    r"""Greedy decoding of ``n`` tokens after ``prompt`` ``(B, t0)``, from an empty cache."""
    eos = model.config.vocab  # never produced: every sequence runs to n tokens

    def run() -> Tensor:
        step_fn, state = model.step_function()
        return greedy_decode(step_fn, prompt, eos, n, init_state=state).tokens  # (B, n)

    return run


def hf_generate(model: transformers.GPT2LMHeadModel, prompt: Tensor, n: int
                ) -> Callable[[], Tensor]:
    r"""``model.generate`` of ``n`` greedy tokens with the cache; the new tokens ``(B, n)``."""
    mask = torch.ones_like(prompt)

    def run() -> Tensor:
        out = model.generate(prompt, attention_mask=mask, max_new_tokens=n, do_sample=False,
                             use_cache=True)
        return out[:, prompt.shape[1]:]  # (B, n)

    return run


def prompts(batches: list[int]) -> dict[int, Tensor]:
    g = torch.Generator().manual_seed(SEED)
    return {B: torch.randint(0, CONFIG.vocab, (B, PROMPT), generator=g) for B in batches}


def check(batches: list[int], n: int) -> None:
    r"""Both sides' generated ids, compared in float64 (refused if unequal) and float32."""
    for dtype in (torch.float64, torch.float32):
        ours, theirs = models(dtype)
        with torch.inference_mode():
            for B, prompt in prompts(batches).items():
                a, b = mllab_generate(ours, prompt, n)(), hf_generate(theirs, prompt, n)()
                same = a.shape == b.shape == (B, n) and torch.equal(a, b)
                print(f"B={B:>2} {str(dtype)[6:]:>7}: {B} x {n} generated ids "
                      f"{'equal' if same else 'DIFFERENT'}")
                if dtype == torch.float64 and not same:
                    raise SystemExit("mllab's greedy generation differs from transformers'")


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
    parser.add_argument("--new-tokens", type=int, default=64, help="tokens generated per row")
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 8],
                        help="batch sizes B (prompts generated together)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 2 short repeats")
    args = parser.parse_args(argv)
    if args.quick:
        args.repeats, args.repeat_ms, args.new_tokens = 2, 5.0, 8
    if min(args.threads, args.repeats, args.new_tokens, *args.batches) < 1:
        parser.error("--threads, --repeats, --new-tokens and --batches must be >= 1")
    if PROMPT + args.new_tokens > CONFIG.max_len:
        parser.error(f"--new-tokens must be at most {CONFIG.max_len - PROMPT}")
    if not args.repeat_ms > 0:
        parser.error("--repeat-ms must be > 0")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    n, c = args.new_tokens, CONFIG
    print(f"threads: {torch.get_num_threads()}   torch {torch.__version__}   transformers "
          f"{transformers.__version__}   repeats: {args.repeats} of ~{args.repeat_ms:g} ms")
    print(f"model: GPT V={c.vocab} d={c.d_model} heads={c.num_heads} d_ff={c.d_ff} "
          f"blocks={c.num_layers}; prompt {PROMPT} tokens, {n} new tokens per row, greedy")
    check(args.batches, n)
    ours, theirs = models(torch.float32)
    again = copy.deepcopy(theirs)
    sides: dict[tuple[int, str], Callable[[], Tensor]] = {}
    for B, prompt in prompts(args.batches).items():
        sides[B, "mllab"] = mllab_generate(ours, prompt, n)
        sides[B, "transformers"] = hf_generate(theirs, prompt, n)
    aa = args.batches[0]
    sides[aa, "transformers again"] = hf_generate(again, prompts(args.batches)[aa], n)
    with torch.inference_mode():
        repeat_s = args.repeat_ms / 1e3
        n_calls = {key: calls_per_repeat(fn, repeat_s) for key, fn in sides.items()}

        def measure(key: tuple[int, str]) -> float:
            fn, k = sides[key], n_calls[key]

            def run() -> None:
                for _ in range(k):
                    fn()
            return clocked(run)[0] / k

        seconds = interleave(list(sides), args.repeats, measure)
    best = fastest(seconds)
    print(f"{'B':>2} {'side':<18} {'calls':>5} {'ms / call':>10} {'median':>9} {'tokens/s':>9}")
    for (B, side), values in seconds.items():
        print(f"{B:>2} {side:<18} {n_calls[B, side]:>5} {1e3 * best[B, side]:>10.3f} "
              f"{1e3 * statistics.median(values):>9.3f} {B * n / best[B, side]:>9.0f}")
    ratio = {}
    for B in args.batches:
        ratio[B] = best[B, "mllab"] / best[B, "transformers"]
        paired = paired_median(seconds[B, "mllab"], seconds[B, "transformers"])
        print(f"B={B}: time mllab/transformers {ratio[B]:.3f} (paired {paired:.3f}); "
              f"tokens/s {B * n / best[B, 'mllab']:.0f} against "
              f"{B * n / best[B, 'transformers']:.0f}; target <= {TARGET:g}: "
              f"{'met' if ratio[B] <= TARGET else 'NOT met'}")
    print(f"A/A, the noise floor (transformers again / transformers, B={aa}): "
          f"{best[aa, 'transformers again'] / best[aa, 'transformers']:.3f}")
    print(f"ratio mllab/transformers generation time (B={', '.join(map(str, args.batches))}): "
          f"{', '.join(f'{ratio[B]:.3f}' for B in args.batches)}")


if __name__ == "__main__":
    main()
