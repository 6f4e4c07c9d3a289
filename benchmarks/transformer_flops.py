r"""Achieved GFLOP/s of a Transformer training step against the machine's fp32 matmul peak.

Work: one training step of :class:`mllab.transformer.Transformer` (encoder-decoder, post-LN,
``d_model = 256``, 8 heads, ``d_ff = 1024``, 2 encoder and 2 decoder blocks, sinusoidal
positions, dropout 0, vocabularies of 1,000) on a batch of ``B = 32`` random source and
target sequences of ``S = T = 64`` tokens, float32: zero the gradients, teacher-forced
logits, :func:`mllab.losses.cross_entropy` over all ``B T`` positions, backward,
``mllab.optim.Adam(lr=1e-4)`` step. The peer is a square ``torch.mm`` of ``--mm-size``
(2048) in float32, timed the same way in the same run: the machine's fp32 matmul peak.

FLOPs per step are counted by ``torch.utils.flop_counter.FlopCounterMode`` on one step:
every matrix multiplication (``mm``, ``addmm``, ``bmm``, 2 FLOPs per multiply-add), forward
and backward. The counter has no formula for PyTorch's CPU attention kernels
(``_scaled_dot_product_flash_attention_for_cpu`` and its backward), so the script gives it
one: forward :math:`4 b h s_q s_k d_h` (:math:`QK^\top` and :math:`PV`), backward twice that
(:math:`dV, dP, dQ, dK`; the kernel's recomputation of :math:`QK^\top` is not counted).
Softmax, layer norm, ReLU, the loss and Adam's update are elementwise and not counted (the
usual "model FLOPs" convention). The count is checked against the analytic formula, with
:math:`N_s = BS`, :math:`N_t = BT`, :math:`d`, :math:`f = d_{ff}`, :math:`V`:

.. math::
    F_{fwd} = L_e\big[N_s(8d^2 + 4df) + 4BS^2d\big]
            + L_d\big[N_t(12d^2 + 4df) + 4N_s d^2 + 4BT^2d + 4BTSd\big] + 2N_t dV,
    \qquad F_{step} = 3 F_{fwd}

(backward = twice the forward: every matrix product has two inputs needing a gradient).
The causal mask of the decoder's self-attention is counted as the full :math:`T \times T`
product, which is what the kernel computes with an explicit mask.

Method (the shared ``benchmarks/timing.py``): warm up, then ``--repeats`` repeats, each
running a training-step repeat and a ``torch.mm`` repeat (about ``--repeat-ms`` each) with
the order flipped every repeat; each side's fastest repeat gives its rate (on a shared
machine other processes only ever add time). An A/A pair (the same ``torch.mm`` timed twice
per repeat) shows the run's noise floor; for information, a ``torch.mm`` of the
feed-forward network's shape (``B S x d`` by ``d x f``). The last line is
``achieved / peak fp32 matmul: <step GFLOP/s over mm GFLOP/s>``; target >= 0.40.

Usage::

    python benchmarks/transformer_flops.py [--threads 1] [--repeats 10] [--repeat-ms 500]
                                           [--mm-size 2048] [--quick]
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Callable

import torch
from torch import Tensor
from torch.utils.flop_counter import FlopCounterMode

from mllab.losses import cross_entropy
from mllab.optim import Adam
from mllab.transformer import Transformer, TransformerConfig
from timing import clocked, fastest, interleave

SEED = 0
TARGET = 0.40
aten = torch.ops.aten


def attention_flops(query_shape, key_shape, value_shape, *args, out_shape=None, **kwargs
                    ) -> int:
    r"""Forward FLOPs of attention: :math:`2 b h s_q s_k d` for :math:`QK^\top` plus
    :math:`2 b h s_q s_k d_v` for :math:`PV`."""
    b, h, s_q, d = query_shape
    s_k, d_v = key_shape[-2], value_shape[-1]
    return 2 * b * h * s_q * s_k * (d + d_v)


def attention_backward_flops(grad_out_shape, query_shape, key_shape, value_shape, *args,
                             out_shape=None, **kwargs) -> int:
    r"""Backward FLOPs of attention without recomputation: :math:`dV = P^\top dO`,
    :math:`dP = dO V^\top`, :math:`dQ = dS K`, :math:`dK = dS^\top Q`: twice the forward."""
    return 2 * attention_flops(query_shape, key_shape, value_shape)


CPU_ATTENTION = {aten._scaled_dot_product_flash_attention_for_cpu: attention_flops,
                 aten._scaled_dot_product_flash_attention_for_cpu_backward:
                     attention_backward_flops}
r"""Formulas for PyTorch's CPU attention kernels, which ``FlopCounterMode`` does not count."""


def analytic_step_flops(c: TransformerConfig, B: int, S: int, T: int) -> int:
    r""":math:`F_{step} = 3 F_{fwd}` of the module docstring."""
    d, f, V = c.d_model, c.d_ff, c.tgt_vocab
    N_s, N_t = B * S, B * T
    encoder = N_s * (8 * d * d + 4 * d * f) + 4 * B * S * S * d
    decoder = (N_t * (12 * d * d + 4 * d * f) + 4 * N_s * d * d + 4 * B * T * T * d
               + 4 * B * T * S * d)
    forward = c.num_encoder_layers * encoder + c.num_decoder_layers * decoder + 2 * N_t * d * V
    return 3 * forward


def make_step(config: TransformerConfig, B: int, S: int, T: int) -> Callable[[], Tensor]:
    r"""A training step of a fresh :class:`Transformer` on one fixed random batch."""
    g = torch.Generator().manual_seed(SEED)
    torch.manual_seed(SEED)  # nn.Linear / nn.Embedding initialise from the global generator
    model = Transformer(config).train()
    optimizer = Adam(model.parameters(), lr=1e-4)
    src = torch.randint(config.src_vocab, (B, S), generator=g)  # (B, S)
    tgt = torch.randint(config.tgt_vocab, (B, T + 1), generator=g)  # (B, T + 1)
    tgt_in, tgt_out = tgt[:, :-1], tgt[:, 1:]  # (B, T) each: teacher forcing

    def step() -> Tensor:
        optimizer.zero_grad(set_to_none=True)
        logits = model(src, tgt_in)  # (B, T, V)
        loss = cross_entropy(logits.reshape(B * T, -1), tgt_out.reshape(B * T))
        loss.backward()
        optimizer.step()
        return loss.detach()

    return step


def counted_flops(step: Callable[[], Tensor]) -> tuple[int, dict[str, int]]:
    r"""FLOPs of one call of ``step`` by ``FlopCounterMode`` (with :data:`CPU_ATTENTION`),
    and the count per operator."""
    with FlopCounterMode(display=False, custom_mapping=CPU_ATTENTION) as counter:
        step()
    per_op = {str(op): n for op, n in counter.get_flop_counts()["Global"].items()}
    return counter.get_total_flops(), per_op


def per_call(fn: Callable[[], object], n: int) -> Callable[[], float]:
    r"""A measure: seconds per call of ``fn`` over ``n`` calls (one repeat)."""
    def measure() -> float:
        def run() -> None:
            for _ in range(n):
                fn()
        return clocked(run)[0] / n
    return measure


def calls_per_repeat(fn: Callable[[], object], repeat_s: float) -> int:
    r"""Warm ``fn`` up and return how many calls last about ``repeat_s`` seconds."""
    for _ in range(2):
        fn()
    seconds = min(clocked(fn)[0] for _ in range(2))
    return max(1, round(repeat_s / seconds))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    parser.add_argument("--repeats", type=int, default=10, help="timed repeats per side")
    parser.add_argument("--repeat-ms", type=float, default=500.0,
                        help="approximate length of one repeat")
    parser.add_argument("--mm-size", type=int, default=2048, help="n of the n x n peak mm")
    parser.add_argument("--batch", type=int, default=32, help="sequences per batch B")
    parser.add_argument("--length", type=int, default=64, help="source and target length")
    parser.add_argument("--d-model", type=int, default=256, help="d_model (>= 256 for the "
                        "target)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 2 short repeats")
    args = parser.parse_args(argv)
    if args.quick:
        args.repeats, args.repeat_ms, args.mm_size, args.batch = 2, 5.0, 512, 4
    for name in ("threads", "repeats", "mm_size", "batch", "length", "d_model"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1")
    if not args.repeat_ms > 0:
        parser.error("--repeat-ms must be > 0")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    B, S = args.batch, args.length
    T = S
    config = TransformerConfig(src_vocab=1000, tgt_vocab=1000, d_model=args.d_model,
                               num_heads=8, d_ff=4 * args.d_model, num_encoder_layers=2,
                               num_decoder_layers=2, max_len=max(S, T))
    step = make_step(config, B, S, T)
    n_params = sum(p.numel() for p in Transformer(config).parameters())
    print(f"threads: {torch.get_num_threads()}   torch {torch.__version__}   "
          f"repeats: {args.repeats} of ~{args.repeat_ms:g} ms")
    print(f"model: Transformer d_model={config.d_model} heads={config.num_heads} "
          f"d_ff={config.d_ff} layers={config.num_encoder_layers}+{config.num_decoder_layers} "
          f"V={config.tgt_vocab}, {n_params:,} parameters; batch B={B}, S=T={S}, float32")
    print("step: zero_grad, teacher-forced logits, cross_entropy, backward, mllab Adam step")

    flops, per_op = counted_flops(step)
    analytic = analytic_step_flops(config, B, S, T)
    print(f"FLOPs per step (FlopCounterMode, CPU attention kernels given formulas): "
          f"{flops / 1e9:.3f} G")
    for op, n in sorted(per_op.items(), key=lambda kv: -kv[1]):
        print(f"  {op:<58} {n / 1e9:9.3f} G")
    print(f"FLOPs per step (analytic formula): {analytic / 1e9:.3f} G "
          f"(counter / formula = {flops / analytic:.4f})")

    n = args.mm_size
    a, b = torch.randn(n, n), torch.randn(n, n)  # (n, n) each
    M, f = B * S, config.d_ff
    x_ffn, w_ffn = torch.randn(M, config.d_model), torch.randn(config.d_model, f)
    repeat_s = args.repeat_ms / 1e3
    measures = {
        "step": per_call(step, calls_per_repeat(step, repeat_s)),
        "mm": per_call(lambda: torch.mm(a, b), calls_per_repeat(lambda: torch.mm(a, b),
                                                                 repeat_s)),
        "mm-again": per_call(lambda: torch.mm(a, b), calls_per_repeat(lambda: torch.mm(a, b),
                                                                       repeat_s)),
        "mm-ffn": per_call(lambda: torch.mm(x_ffn, w_ffn),
                           calls_per_repeat(lambda: torch.mm(x_ffn, w_ffn), repeat_s)),
    }
    seconds = interleave(list(measures), args.repeats, lambda name: measures[name]())
    best = fastest(seconds)
    work = {"step": flops, "mm": 2 * n ** 3, "mm-again": 2 * n ** 3,
            "mm-ffn": 2 * M * config.d_model * f}
    labels = {"step": "training step", "mm": f"torch.mm {n}x{n} (peak)",
              "mm-again": f"torch.mm {n}x{n} (A/A)",
              "mm-ffn": f"torch.mm {M}x{config.d_model} @ {config.d_model}x{f} (information)"}
    rate = {name: work[name] / best[name] / 1e9 for name in measures}
    for name, label in labels.items():
        ms = [1e3 * s for s in seconds[name]]
        print(f"{label:<48} min {1e3 * best[name]:9.3f} ms (median {statistics.median(ms):.3f},"
              f" max {max(ms):.3f})  {rate[name]:7.1f} GFLOP/s")
    per_repeat = [(flops / s) / (2 * n ** 3 / m)
                  for s, m in zip(seconds["step"], seconds["mm"], strict=True)]
    print(f"A/A, the noise floor (mm again / mm, fastest): {best['mm-again'] / best['mm']:.3f}")
    print(f"paired: median of per-repeat achieved/peak: {statistics.median(per_repeat):.3f}")
    ratio = rate["step"] / rate["mm"]
    print(f"target >= {TARGET:.0%}: {'met' if ratio >= TARGET else 'NOT met'}")
    print(f"achieved / peak fp32 matmul: {ratio:.3f}")


if __name__ == "__main__":
    main()
