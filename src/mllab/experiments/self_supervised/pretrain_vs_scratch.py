r"""``pretrain-vs-scratch``: the same encoder fine-tuned from pre-trained weights and from a
random initialisation on the lecture's four kinds of task; the pre-trained one ends better and
gets there faster (the lecture's training curves, Hao et al. arXiv:1908.05620).

Each repeat has its own chapter split, vocabulary, pre-training (one trial, shared by every
task of the repeat: :mod:`mllab.pretraining.pretrain_recipe`), task samples, initialisations
and batches. The tasks (:mod:`mllab.pretraining.downstream_tasks`): tweet sentiment
(sequence), restoring the punctuation of held-out verses (token), does verse B follow verse A
(pair), and SYNTHETIC genealogy questions over held-out verses (span, scored by SQuAD's F1).
Both arms of a task see the same examples in the same batch order, with the same recipe
(:mod:`mllab.pretraining.fine_tuning`): a paired design. The random arm is
:class:`~mllab.pretraining.bert_pretraining.BertPretraining`'s initialisation, untrained.

"Better": the test score after ``finetune_steps`` updates, pre-trained minus scratch, per
task. "Faster": the test score after a quarter of the updates (the curve's second point),
averaged over the four tasks, pre-trained minus scratch. Precondition: every fine-tuned model
(every arm, task and repeat) beats its task's baseline (majority class; for QA the best fixed
span), so a model that collapsed onto one answer makes the verdict inconclusive rather than
deciding it.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch

from mllab.config import require
from mllab.experiments.base import Result, Settings, experiment, table
from mllab.experiments.context import RunContext
from mllab.experiments.evidence import Check, Evidence, Precondition, paired
from mllab.experiments.self_supervised import LECTURE
from mllab.pretraining.bert_pretraining import BertPretraining
from mllab.pretraining.bible_corpus import bible_corpus
from mllab.pretraining.downstream_tasks import TASKS, downstream_task
from mllab.pretraining.fine_tuning import (
    FineTuningModel,
    FineTuningState,
    fine_tuning_step,
    task_scores,
)
from mllab.pretraining.pretrain_recipe import (
    PretrainRecipe,
    masked_lm_accuracy,
    pretraining_parts,
)
from mllab.train import LoopConfig

ARMS = ("pretrained", "scratch")


@dataclass
class PretrainVsScratchSettings(Settings):
    vocab_size: int = 1000
    """Sentencepiece pieces of the tokenizer (trained on training verses)."""
    tokenizer_verses: int = 6000
    """Training verses the tokenizer sees (>= 1)."""
    max_train: int = 0
    """Keep only the first that many training verses (0: all, about 28,000)."""
    d_model: int = 64
    """BERT's width d."""
    num_heads: int = 4
    """Attention heads."""
    d_ff: int = 256
    """Feed-forward hidden size (4d)."""
    num_layers: int = 2
    """Encoder blocks."""
    max_len: int = 32
    """Longest input of pre-training and fine-tuning (>= 5): pairs of verse beginnings; with
    64, the same token budget per step (32 pairs) stayed on the most-frequent-token plateau
    through 1,500 updates in a pilot, with 32 and 64 pairs it left it after about 900."""
    pretrain_steps: int = 1500
    """Pre-training updates per repeat, a budget fixed before the first full run: one to two
    minutes per repeat on one core of a shared 2-core machine, enough in pilots for the masked
    LM to leave the most-frequent-token plateau (held-out blank accuracy 0.07, the unigram
    guess, until about step 900; 0.28 at step 1,500). The measured accuracy is reported."""
    pretrain_batch: int = 64
    """Pairs per pre-training update."""
    pretrain_lr: float = 2e-3
    """Adam's constant learning rate for pre-training (as ``bert-fill-blanks``)."""
    finetune_steps: int = 300
    """Fine-tuning updates per task and arm (>= 4), fixed before the first full run: in a
    one-repeat pilot with 200, the scratch arm ended 0.2 and 0.9 points above the
    punctuation and next-verse baselines, so 300 give it room to learn."""
    finetune_batch: int = 32
    """Examples per fine-tuning update."""
    finetune_lr: float = 1e-3
    """Adam's learning rate for fine-tuning, the same for both arms (a small model: larger
    than BERT-base's 2e-5 to 5e-5)."""
    train_size: int = 2000
    """Training examples per task (a sample of the training chapters / tweets)."""
    test_size: int = 1000
    """Test examples per task (held-out chapters; QA: all its held-out questions, fewer)."""
    curve_size: int = 300
    """Test examples scored along the training curve (the first of the test set)."""
    repeats: int = 5
    """Independent repeats (>= 1)."""
    margin: float = 0.01
    """Noise allowance on score differences (one point): 1,000 test examples give a binomial
    standard error near 1.5 points per model, and the paired design cancels part of it."""
    baseline_margin: float = 0.01
    """How far above its baseline every fine-tuned model must score for the precondition: a
    model collapsed onto one answer scores the baseline exactly."""

    def validate(self) -> None:
        for name in ("vocab_size", "tokenizer_verses", "d_model", "num_heads", "d_ff",
                     "num_layers", "pretrain_batch", "finetune_batch", "train_size",
                     "test_size", "curve_size", "repeats"):
            require(getattr(self, name) >= 1, name, ">= 1", getattr(self, name))
        require(self.max_train == 0 or self.max_train >= 3, "max_train",
                "0 (all) or an integer >= 3", self.max_train)
        require(self.max_len >= 5, "max_len", ">= 5", self.max_len)
        require(self.pretrain_steps >= 0, "pretrain_steps", ">= 0", self.pretrain_steps)
        require(self.finetune_steps >= 4, "finetune_steps", ">= 4", self.finetune_steps)
        require(self.pretrain_lr > 0 and self.finetune_lr > 0, "pretrain_lr",
                "learning rates > 0", (self.pretrain_lr, self.finetune_lr))
        require(self.margin >= 0 and self.baseline_margin >= 0, "margin", "margins >= 0",
                (self.margin, self.baseline_margin))

    @classmethod
    def quick(cls) -> PretrainVsScratchSettings:
        return cls(vocab_size=300, tokenizer_verses=1200, max_train=3000, d_model=32,
                   num_heads=2, d_ff=64, num_layers=1, max_len=48, pretrain_steps=30,
                   pretrain_batch=16, finetune_steps=8, finetune_batch=16, train_size=200,
                   test_size=100, curve_size=50, repeats=2)

    def recipe(self) -> PretrainRecipe:
        return PretrainRecipe(d_model=self.d_model, num_heads=self.num_heads, d_ff=self.d_ff,
                              num_layers=self.num_layers, max_len=self.max_len,
                              steps=self.pretrain_steps, batch_size=self.pretrain_batch,
                              lr=self.pretrain_lr)


def judge_pretrain_vs_scratch(m: dict, s: PretrainVsScratchSettings) -> Evidence:
    final, early, base = m["final"], m["early"], m["baseline"]
    reason = f"differences below {s.margin:g} count as none (about the binomial error)"
    checks = [Check(f"pre-training fine-tunes {task} ({TASKS[task]}) better than random "
                    "initialisation", f"test {m['metric'][task]} after fine-tuning, "
                    "pre-trained minus scratch", paired(final[task]["pretrained"],
                                                        final[task]["scratch"]),
                    margin=s.margin, reason=reason) for task in TASKS]
    mean_early = {arm: [sum(early[t][arm][r] for t in TASKS) / len(TASKS)
                        for r in range(len(early[next(iter(TASKS))][arm]))] for arm in ARMS}
    checks.append(Check("a pre-trained encoder converges faster", "test score after a "
                        "quarter of the updates, mean over the four tasks, pre-trained minus "
                        "scratch", paired(mean_early["pretrained"], mean_early["scratch"]),
                        margin=s.margin, reason=reason))
    worst = {t: min(v - base[t][r] for arm in ARMS for r, v in enumerate(final[t][arm]))
             for t in TASKS}
    return Evidence(checks=checks, preconditions=[Precondition(
        "every fine-tuned model beats its task's baseline (majority class; fixed span for "
        f"QA) by more than {s.baseline_margin:g}", "smallest score minus baseline over arms "
        "and repeats: " + ", ".join(f"{t} {v:+.3f}" for t, v in worst.items()),
        all(v > s.baseline_margin for v in worst.values()))],
        notes=["held-out masked-LM blank accuracy of the pre-trained encoder per repeat: "
               + ", ".join(f"{a:.3f}" for a in m["mlm_accuracy"]),
               "test examples per task (first repeat): " + ", ".join(
                   f"{t} {n}" for t, n in m["test_examples"].items())])


def _fine_tune(ctx: RunContext, s, task, bert, trial: str, batches: str, decode) -> dict:
    r"""One fine-tuning trial: its test scores and its curve ``[(step, score)]``."""
    with ctx.trial(trial) as t:
        model = FineTuningModel(bert, task.kind, max(2, len(task.classes)))
        curve_set = task.test[:s.curve_size]
        state = FineTuningState(model=model, optimizer=torch.optim.Adam(
            [p for p in model.parameters() if p.requires_grad], lr=s.finetune_lr),
            generator=ctx.generator(batches), examples=task.train)
        every = s.finetune_steps // 4
        run = t.run(fine_tuning_step(s.finetune_batch, lambda mm: {
            "curve": task_scores(mm, curve_set, decode)[task.metric]}, every), state,
            LoopConfig(steps=s.finetune_steps), fingerprint=s.to_dict())
        scores = t.record("test", lambda: task_scores(model, task.test, decode))
    curve = [(h["step"] - 1, h["curve"]) for h in run.history if "curve" in h]
    return {"score": scores[task.metric], "curve": [*curve, (s.finetune_steps,
                                                             scores[task.metric])]}


def _pretrain(ctx: RunContext, s, corpus, r: int) -> tuple:
    r"""Repeat ``r``'s pre-training trial: the model and its held-out blank accuracy."""
    V = corpus.tokenizer.vocab_size
    with ctx.trial(f"pretrain-r{r}") as t:
        model, state, step, config = pretraining_parts(
            s.recipe(), corpus.train_ids, V, pairs_generator=ctx.generator(f"pairs/r{r}"),
            batches_generator=ctx.generator(f"batches/r{r}"))
        t.run(step, state, config, fingerprint=s.to_dict())
        accuracy = t.record("mlm_accuracy", lambda: masked_lm_accuracy(
            model, corpus.test_ids, V, s.max_len, ctx.generator(f"blanks/r{r}")))
    return model, accuracy


@experiment(name="pretrain-vs-scratch", lecture=LECTURE, judge=judge_pretrain_vs_scratch,
            claim="Fine-tuned on each of the four kinds of task (sentiment of tweets, "
                  "punctuation of held-out verses, does verse B follow A, SYNTHETIC questions "
                  "over held-out verses), an encoder pre-trained on the Bible ends better "
                  "and converges faster than the same encoder from random weights.")
def pretrain_vs_scratch(s: PretrainVsScratchSettings, ctx: RunContext) -> Result:
    final = {t: {a: [] for a in ARMS} for t in TASKS}
    early = {t: {a: [] for a in ARMS} for t in TASKS}
    baseline, curves = {t: [] for t in TASKS}, {t: {a: [] for a in ARMS} for t in TASKS}
    mlm, metric, sizes = [], {}, {}
    ctx.plan(trials=s.repeats * (1 + 2 * len(TASKS)))
    for r in range(s.repeats):
        corpus = bible_corpus(seed=ctx.seed_for(f"split/r{r}"), vocab_size=s.vocab_size,
                              tokenizer_verses=s.tokenizer_verses, max_train=s.max_train or None)
        V, decode = corpus.tokenizer.vocab_size, corpus.tokenizer.decode
        bert_mlm, accuracy = _pretrain(ctx, s, corpus, r)
        mlm.append(accuracy)
        for name in TASKS:
            task = downstream_task(name, corpus, generator=ctx.generator(f"task/{name}/r{r}"),
                                   max_len=s.max_len, train_size=s.train_size,
                                   test_size=s.test_size)
            metric[name], baseline[name] = task.metric, [*baseline[name], task.baseline]
            sizes.setdefault(name, len(task.test))
            for arm in ARMS:
                torch.manual_seed(ctx.seed_for(f"init/{name}/r{r}"))
                bert = copy.deepcopy(bert_mlm.bert) if arm == "pretrained" else \
                    BertPretraining(s.recipe().config(V)).bert
                out = _fine_tune(ctx, s, task, bert, f"{name}-{arm}-r{r}",
                                 f"finetune/{name}/r{r}", decode)
                final[name][arm].append(out["score"])
                early[name][arm].append(out["curve"][1][1])
                curves[name][arm].append(out["curve"])
    from mllab.experiments.self_supervised.plots import plot_pretrain_vs_scratch

    plot_pretrain_vs_scratch(ctx, curves, final, baseline, metric)
    rows = [[t, metric[t], r, baseline[t][r], final[t]["pretrained"][r], final[t]["scratch"][r],
             early[t]["pretrained"][r], early[t]["scratch"][r]]
            for t in TASKS for r in range(s.repeats)]
    return Result(metrics={"final": final, "early": early, "baseline": baseline,
                           "metric": metric, "mlm_accuracy": mlm, "test_examples": sizes,
                           "curves": curves}, tables=[
        table("Test scores per task and repeat (early: after a quarter of the updates)",
              ["task", "metric", "repeat", "baseline", "pre-trained", "scratch",
               "pre-trained early", "scratch early"], rows),
        table("Pre-trained encoder: held-out masked-LM blank accuracy",
              ["repeat", "accuracy"], [[r, a] for r, a in enumerate(mlm)])])
