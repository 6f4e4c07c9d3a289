r"""``gpt-next-token``: a small GPT trained to predict the next token of World English Bible
verses reaches a lower held-out perplexity than unigram, bigram and trigram counts, and its
most probable continuations (greedy, beam search) repeat themselves more than sampled ones.

Each repeat has its own chapter split (10% of chapters held out,
:func:`mllab.pretraining.bible_corpus.bible_corpus`, as in ``bert-fill-blanks``), its own
sentencepiece vocabulary trained on training verses, initialisation and batches. The GPT
(:class:`mllab.pretraining.GPT`) is trained on
:math:`\mathcal L = -\frac1N \sum \ln p(x_t \mid x_{<t})` over ``BOS verse EOS``
(:mod:`mllab.pretraining.next_token`); its token and position embeddings start from GPT-2's
:math:`\mathcal N(0, 0.02^2)` (PyTorch's :math:`\mathcal N(0, 1)` with the tied output layer
starts from logits of standard deviation :math:`\sqrt d`, a loss far above :math:`\ln V`).
The baselines are interpolated Kneser-Ney n-gram models (:class:`mllab.pretraining.ngram_lm.
NgramLM`, :math:`D = 0.75`, n = 1, 2, 3) on the same training verses. Both score every token
and the EOS of the same held-out verses (those that fit the GPT's context):

.. math:: \mathrm{PPL} = \exp\Big(-\frac1N \sum_t \ln p(x_t \mid \text{history})\Big).

Decoding (:mod:`mllab.decoding`, the GPT's key/value cache): the first ``prompt_tokens``
tokens of held-out verses as prompts, continued by greedy decoding, beam search (width 4,
:math:`\alpha = 1`, the per-token average, so short endings are not preferred) and sampling at
each temperature; diversity is distinct-2 (:func:`mllab.metrics.distinct_n`) pooled over the
continuations.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from mllab.config import require
from mllab.decoding import beam_search, greedy_decode, sample_decode
from mllab.experiments.base import Result, Settings, experiment, table
from mllab.experiments.context import RunContext
from mllab.experiments.evidence import Check, Evidence, paired
from mllab.experiments.self_supervised import LECTURE
from mllab.metrics import distinct_n
from mllab.pretraining import GPT, GPTConfig
from mllab.pretraining.bible_corpus import bible_corpus
from mllab.pretraining.next_token import NextTokenState, next_token_nll, next_token_step
from mllab.pretraining.ngram_lm import NgramLM
from mllab.text.special_tokens import BOS_ID, EOS_ID, PAD_ID
from mllab.train import LoopConfig

ORDERS = (1, 2, 3)


@dataclass
class NextTokenSettings(Settings):
    vocab_size: int = 1000
    """Sentencepiece pieces :math:`V` (as ``bert-fill-blanks``)."""
    tokenizer_verses: int = 6000
    """Training verses the tokenizer sees, evenly spaced (>= 1)."""
    max_train: int = 0
    """Keep only the first that many training verses (0: all, about 28,000)."""
    max_test: int = 0
    """Keep only the first that many held-out verses (0: all, about 3,100)."""
    d_model: int = 64
    """GPT's width d."""
    num_heads: int = 4
    """Attention heads."""
    d_ff: int = 256
    """Feed-forward hidden size (4d)."""
    num_layers: int = 2
    """Causal blocks."""
    max_len: int = 64
    """Context: predicted tokens per verse (>= 8); longer held-out verses are left out of the
    perplexities, longer training verses are cut."""
    steps: int = 1000
    """Training updates (>= 1); kept to a few minutes of a shared 2-core machine."""
    batch_size: int = 32
    """Verses per update."""
    lr: float = 2e-3
    """Adam's learning rate: a small model trained for few steps (> 0)."""
    prompts: int = 100
    """Held-out verses whose beginning is continued by each decoding method (>= 1)."""
    prompt_tokens: int = 3
    """Tokens of each verse given as the prompt, after BOS (>= 1)."""
    new_tokens: int = 40
    """Most tokens generated per prompt, EOS included (>= 2)."""
    temperatures: tuple[float, ...] = (0.7, 1.0, 1.3)
    """Sampling temperatures; 1.0 must be among them (the check)."""
    beam_width: int = 4
    """Beam search's width K."""
    repeats: int = 5
    """Independent repeats: split, vocabulary, initialisation, batches, samples (>= 1)."""
    margin: float = 0.02
    """Noise allowance on cross-entropy differences, nats per token (2% in perplexity):
    about 100,000 held-out tokens of per-token spread near 2.5 nats give a standard error
    near 0.01 nats, more with verses' tokens correlated."""
    distinct_margin: float = 0.02
    """Noise allowance on distinct-2 differences: some 3,000 generated bigrams give a share
    whose sampling error is near one point."""

    def validate(self) -> None:
        for name in ("vocab_size", "tokenizer_verses", "d_model", "num_heads", "d_ff",
                     "num_layers", "steps", "batch_size", "repeats", "prompts",
                     "prompt_tokens", "beam_width"):
            require(getattr(self, name) >= 1, name, ">= 1", getattr(self, name))
        for name in ("max_train", "max_test"):
            require(getattr(self, name) == 0 or getattr(self, name) >= 3, name,
                    "0 (all) or an integer >= 3", getattr(self, name))
        require(self.vocab_size >= 8, "vocab_size", ">= 8", self.vocab_size)
        require(self.max_len >= 8, "max_len", ">= 8", self.max_len)
        require(self.new_tokens >= 2 and self.prompt_tokens + 1 + self.new_tokens
                <= self.max_len, "new_tokens", "2 .. max_len - prompt_tokens - 1",
                self.new_tokens)
        require(1.0 in self.temperatures and all(t > 0 for t in self.temperatures),
                "temperatures", "positive numbers including 1.0", self.temperatures)
        require(self.lr > 0, "lr", "> 0", self.lr)
        require(self.margin >= 0 and self.distinct_margin >= 0, "margin", "margins >= 0",
                (self.margin, self.distinct_margin))

    @classmethod
    def quick(cls) -> NextTokenSettings:
        return cls(vocab_size=300, tokenizer_verses=1200, max_train=1500, max_test=200,
                   d_model=32, num_heads=2, d_ff=64, num_layers=1, max_len=40, steps=40,
                   batch_size=16, prompts=12, new_tokens=20, repeats=2)


def judge_next_token(m: dict, s: NextTokenSettings) -> Evidence:
    r = m["runs"]
    best = [min(v) for v in zip(*(r[f"ngram{n}"] for n in ORDERS), strict=True)]
    d2 = m["distinct2"]
    reason = (f"cross-entropy differences below {s.margin:g} nats per token count as none "
              "(held-out standard error near 0.01)")
    d_reason = (f"distinct-2 differences below {s.distinct_margin:g} count as none (~3,000 "
                "generated bigrams)")
    return Evidence(checks=[
        Check("GPT predicts held-out text better than the best n-gram model",
              "held-out cross-entropy (nats per token), best n-gram (n = 1, 2, 3, Kneser-Ney) "
              "minus GPT", paired(best, r["gpt"]), margin=s.margin, reason=reason),
        Check("Sampling is more diverse than greedy decoding", "distinct-2 of continuations, "
              "sampling at T = 1 minus greedy", paired(d2["T=1"], d2["greedy"]),
              margin=s.distinct_margin, reason=d_reason),
        Check("Sampling is more diverse than beam search", "distinct-2 of continuations, "
              "sampling at T = 1 minus beam search", paired(d2["T=1"], d2["beam"]),
              margin=s.distinct_margin, reason=d_reason)],
        notes=["held-out perplexity per repeat (GPT; n = 1, 2, 3): " + "; ".join(
            f"{math.exp(g):.1f}; " + ", ".join(f"{math.exp(r[f'ngram{n}'][i]):.1f}"
                                               for n in ORDERS)
            for i, g in enumerate(r["gpt"])),
            f"held-out tokens scored per repeat: {m['tokens']}"])


def _continuations(tokens: torch.Tensor) -> list[list[int]]:
    r"""Rows of generated tokens up to (without) EOS or padding."""
    out = []
    for row in tokens.tolist():
        row = row[:row.index(EOS_ID)] if EOS_ID in row else row
        out.append([t for t in row if t != PAD_ID])
    return out


def _decode_all(model: GPT, prompts: torch.Tensor, s: NextTokenSettings,
                g: torch.Generator) -> dict[str, list[list[int]]]:
    r"""Continuations of ``prompts`` ``(P, 1 + prompt_tokens)`` by every decoding method."""
    model.eval()
    out = {}
    with torch.no_grad():
        step, state = model.step_function()
        out["greedy"] = _continuations(greedy_decode(step, prompts, EOS_ID, s.new_tokens,
                                                     init_state=state, pad=PAD_ID).tokens)
        step, state = model.step_function()
        out["beam"] = _continuations(beam_search(step, prompts, EOS_ID, s.new_tokens,
                                                 beam_width=s.beam_width, alpha=1.0,
                                                 init_state=state, pad=PAD_ID).tokens)
        for T in s.temperatures:
            step, state = model.step_function()
            out[f"T={T:g}"] = _continuations(sample_decode(
                step, prompts, EOS_ID, s.new_tokens, temperature=T, generator=g,
                init_state=state, pad=PAD_ID).tokens)
    return out


@experiment(name="gpt-next-token", lecture=LECTURE, judge=judge_next_token,
            claim="A GPT trained to predict the next token of Bible verses has a lower "
                  "held-out perplexity than unigram, bigram and trigram counts, and its most "
                  "probable continuations (greedy, beam search) are more repetitive than "
                  "sampled ones (distinct-2).")
def gpt_next_token(s: NextTokenSettings, ctx: RunContext) -> Result:
    methods = ["greedy", "beam", *[f"T={T:g}" for T in s.temperatures]]
    runs: dict[str, list[float]] = {"gpt": [], **{f"ngram{n}": [] for n in ORDERS}}
    distinct2: dict[str, list[float]] = {k: [] for k in methods}
    tokens, curves, samples = [], [], []
    ctx.plan(trials=s.repeats)
    for r in range(s.repeats):
        corpus = bible_corpus(seed=ctx.seed_for(f"split/r{r}"), vocab_size=s.vocab_size,
                              tokenizer_verses=s.tokenizer_verses,
                              max_train=s.max_train or None, max_test=s.max_test or None)
        V = corpus.tokenizer.vocab_size
        test = [ids for ids in corpus.test_ids if len(ids) + 1 <= s.max_len]
        with ctx.trial(f"gpt-r{r}") as t:
            model = GPT(GPTConfig(vocab=V, d_model=s.d_model, num_heads=s.num_heads,
                                  d_ff=s.d_ff, num_layers=s.num_layers, max_len=s.max_len))
            state = NextTokenState(model=model, optimizer=torch.optim.Adam(
                model.parameters(), lr=s.lr), generator=ctx.generator(f"batches/r{r}"),
                sentences=corpus.train_ids)
            run = t.run(next_token_step(s.batch_size, s.max_len), state,
                        LoopConfig(steps=s.steps), fingerprint=s.to_dict())
        curves.append([(h["step"], h["train_loss"]) for h in run.history])
        total, count = next_token_nll(model, test, s.max_len)
        runs["gpt"].append(total / count)
        for n in ORDERS:
            lm = NgramLM(corpus.train_ids, V, n=n, bos=BOS_ID, eos=EOS_ID)
            ce, n_tokens = lm.cross_entropy(test)
            assert n_tokens == count  # the same tokens scored
            runs[f"ngram{n}"].append(ce)
        tokens.append(count)
        long_enough = [ids for ids in test if len(ids) > s.prompt_tokens][:s.prompts]
        prompts = torch.tensor([[BOS_ID, *ids[:s.prompt_tokens]] for ids in long_enough])
        gen = _decode_all(model, prompts, s, ctx.generator(f"samples/r{r}"))
        for k in methods:
            distinct2[k].append(distinct_n(gen[k], 2))
        if r == 0:
            dec = corpus.tokenizer.decode
            samples = [[dec(p[1:].tolist()), k, dec(gen[k][i])]
                       for i, p in enumerate(prompts[:3]) for k in methods]
    _plot(ctx, curves, runs, distinct2, methods)
    rows = [[r, *[math.exp(runs[f"ngram{n}"][r]) for n in ORDERS], math.exp(runs["gpt"][r]),
             *[distinct2[k][r] for k in methods]] for r in range(s.repeats)]
    return Result(metrics={"runs": runs, "distinct2": distinct2, "tokens": tokens,
                           "final_loss": [c[-1][1] for c in curves]}, tables=[
        table("Held-out perplexity of each model and distinct-2 of each decoding method",
              ["repeat", "unigram", "bigram", "trigram", "GPT", *methods], rows),
        table("Continuations of held-out verse beginnings (first repeat)",
              ["prompt", "method", "continuation"], samples)])


def _plot(ctx: RunContext, curves: list, runs: dict, distinct2: dict, methods: list) -> None:
    from mllab.report import new_figure

    fig, (ax, bx, cx) = new_figure(ncols=3, size=(13, 3.8))
    for r, c in enumerate(curves):
        ax.plot([p[0] for p in c], [p[1] for p in c], color="tab:blue", alpha=0.6,
                label="GPT training loss" if r == 0 else None)
    for n, color in zip(ORDERS, ("tab:gray", "tab:orange", "tab:green"), strict=True):
        ax.axhline(sum(runs[f"ngram{n}"]) / len(runs["gpt"]), color=color, ls="--",
                   label=f"{n}-gram held-out")
    ax.set(xlabel="step", ylabel="nats per token", title="Next-token loss")
    ax.legend(fontsize=7)
    names = [f"ngram{n}" for n in ORDERS] + ["gpt"]
    for i, n in enumerate(names):
        bx.scatter([i] * len(runs[n]), [math.exp(v) for v in runs[n]], color="tab:blue", s=14)
    bx.set_xticks(range(4), ["unigram", "bigram", "trigram", "GPT"])
    bx.set(ylabel="held-out perplexity", title="Perplexity (lower is better)")
    for i, k in enumerate(methods):
        cx.scatter([i] * len(distinct2[k]), distinct2[k], color="tab:purple", s=14)
    cx.set_xticks(range(len(methods)), methods)
    cx.set(ylabel="distinct-2", title="Diversity of continuations")
    ctx.save_figure(fig, "next_token", "Left: the GPT's training loss per repeat and the "
                    "n-gram models' mean held-out cross-entropy. Middle: held-out perplexity "
                    "per repeat. Right: distinct-2 of the continuations per decoding method.")
