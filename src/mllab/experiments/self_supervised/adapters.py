r"""``adapters``: full fine-tuning against BitFit, Houlsby adapters, AdapterBias, prefix tuning
and LoRA on downstream tasks: the adapters come close to full fine-tuning while training a few
percent of the parameters, so a task stores a few kilobytes instead of a whole model.

Each repeat pre-trains one encoder (:mod:`mllab.pretraining.pretrain_recipe`, the budget of
``pretrain-vs-scratch``), then fine-tunes a copy of it per task and method; every method of a
task sees the same examples in the same batch order (a paired design), and the task head is
trained whole by every method. Methods (:mod:`mllab.peft`, each freezing the encoder):

- ``full``: every parameter;
- ``bitfit``: the encoder's biases (arXiv:2106.10199);
- ``houlsby``: a bottleneck of ``bottleneck`` units after each feed-forward (arXiv:1902.00751);
- ``adapter-bias``: a token-weighted shift of each feed-forward's output (arXiv:2205.00305);
- ``prefix``: ``prefix_length`` trainable keys and values per head and layer
  (arXiv:2101.00190);
- ``lora``: rank-``lora_rank`` updates of the query and value projections (arXiv:2106.09685).

Tasks: tweet sentiment (sequence, out of the pre-training's domain) and restoring the
punctuation of held-out verses (token, in its domain), chosen before the first run
(:mod:`mllab.pretraining.downstream_tasks`). Share and bytes per task:
:mod:`mllab.peft.trainable` on the fine-tuned model (encoder, adapter and head; the MLM head
is not part of it).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch

from mllab.config import require
from mllab.experiments.base import Result, Settings, experiment, table
from mllab.experiments.context import RunContext
from mllab.experiments.evidence import Check, Demonstration, Evidence, Precondition, paired
from mllab.experiments.self_supervised import LECTURE
from mllab.peft import (
    apply_lora,
    bitfit,
    insert_adapter_bias,
    insert_houlsby_adapters,
    insert_prefixes,
)
from mllab.peft.trainable import bytes_per_task, parameter_count, trainable_share
from mllab.pretraining.bible_corpus import bible_corpus
from mllab.pretraining.downstream_tasks import downstream_task
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

METHODS = ("full", "bitfit", "houlsby", "adapter-bias", "prefix", "lora")
TASK_NAMES = ("sentiment", "punctuation")


@dataclass
class AdaptersSettings(Settings):
    vocab_size: int = 1000
    """Sentencepiece pieces of the tokenizer (trained on training verses)."""
    tokenizer_verses: int = 6000
    """Training verses the tokenizer sees (>= 1)."""
    max_train: int = 0
    """Keep only the first that many training verses (0: all)."""
    d_model: int = 64
    """BERT's width d."""
    num_heads: int = 4
    """Attention heads."""
    d_ff: int = 256
    """Feed-forward hidden size (4d)."""
    num_layers: int = 2
    """Encoder blocks."""
    max_len: int = 32
    """Longest input (as ``pretrain-vs-scratch``, where the reason is given)."""
    pretrain_steps: int = 1500
    """Pre-training updates per repeat (as ``pretrain-vs-scratch``)."""
    pretrain_batch: int = 64
    """Pairs per pre-training update."""
    pretrain_lr: float = 2e-3
    """Adam's constant learning rate for pre-training."""
    finetune_steps: int = 200
    """Fine-tuning updates per task and method (>= 1)."""
    finetune_batch: int = 32
    """Examples per fine-tuning update."""
    full_lr: float = 1e-3
    """Adam's learning rate for full fine-tuning (as ``pretrain-vs-scratch``)."""
    adapter_lr: float = 5e-3
    """Adam's learning rate for every adapter method: five times full fine-tuning's, as the
    papers train the few new parameters with larger rates than full fine-tuning (Houlsby:
    up to 1e-3 against 3e-5; LoRA: 2e-4 to 5e-4 against 1e-5 to 5e-5)."""
    bottleneck: int = 8
    """Houlsby adapter's bottleneck m (>= 1)."""
    prefix_length: int = 8
    """Prefix positions per head and layer (>= 1)."""
    lora_rank: int = 4
    """LoRA's rank r (>= 1); alpha = 2r."""
    train_size: int = 2000
    """Training examples per task."""
    test_size: int = 1000
    """Test examples per task."""
    repeats: int = 5
    """Independent repeats (>= 1)."""
    closeness: float = 0.03
    """What "close to full fine-tuning" means: within three points of its test accuracy
    (the claim's tolerance, chosen before the first run)."""
    margin: float = 0.01
    """Noise allowance around that tolerance (one point, about the binomial error of a
    paired difference on 1,000 test examples)."""
    baseline_margin: float = 0.01
    """How far above the majority-class baseline every model must score (precondition)."""

    def validate(self) -> None:
        for name in ("vocab_size", "tokenizer_verses", "d_model", "num_heads", "d_ff",
                     "num_layers", "pretrain_batch", "finetune_steps", "finetune_batch",
                     "bottleneck", "prefix_length", "lora_rank", "train_size", "test_size",
                     "repeats"):
            require(getattr(self, name) >= 1, name, ">= 1", getattr(self, name))
        require(self.max_train == 0 or self.max_train >= 3, "max_train",
                "0 (all) or an integer >= 3", self.max_train)
        require(self.max_len >= 5, "max_len", ">= 5", self.max_len)
        require(self.pretrain_steps >= 0, "pretrain_steps", ">= 0", self.pretrain_steps)
        require(min(self.pretrain_lr, self.full_lr, self.adapter_lr) > 0, "pretrain_lr",
                "learning rates > 0", (self.pretrain_lr, self.full_lr, self.adapter_lr))
        require(min(self.closeness, self.margin, self.baseline_margin) >= 0, "margin",
                "closeness and margins >= 0", (self.closeness, self.margin))

    @classmethod
    def quick(cls) -> AdaptersSettings:
        return cls(vocab_size=300, tokenizer_verses=1200, max_train=3000, d_model=32,
                   num_heads=2, d_ff=64, num_layers=1, pretrain_steps=30, pretrain_batch=16,
                   finetune_steps=8, finetune_batch=16, train_size=200, test_size=100,
                   repeats=2)

    def recipe(self) -> PretrainRecipe:
        return PretrainRecipe(d_model=self.d_model, num_heads=self.num_heads, d_ff=self.d_ff,
                              num_layers=self.num_layers, max_len=self.max_len,
                              steps=self.pretrain_steps, batch_size=self.pretrain_batch,
                              lr=self.pretrain_lr)


def adapt(method: str, model: FineTuningModel, s: AdaptersSettings,
          generator: torch.Generator) -> None:
    r"""Freeze ``model``'s encoder as ``method`` does (the head stays trainable)."""
    if method == "bitfit":
        bitfit(model, keep=("head",))
    elif method == "houlsby":
        insert_houlsby_adapters(model.bert, s.bottleneck)
    elif method == "adapter-bias":
        insert_adapter_bias(model.bert)
    elif method == "prefix":
        insert_prefixes(model.bert, s.prefix_length, generator)
    elif method == "lora":
        apply_lora(model.bert, ("q_proj", "v_proj"), r=s.lora_rank, alpha=2.0 * s.lora_rank)


def judge_adapters(m: dict, s: AdaptersSettings) -> Evidence:
    acc, base = m["accuracy"], m["baseline"]
    n = len(acc[TASK_NAMES[0]]["full"])
    mean = {k: [sum(acc[t][k][r] for t in TASK_NAMES) / len(TASK_NAMES) for r in range(n)]
            for k in METHODS}
    checks = [Check(f"{k} comes close to full fine-tuning", "test accuracy, mean over "
                    f"{' and '.join(TASK_NAMES)}, {k} minus full fine-tuning",
                    paired(mean[k], mean["full"]), margin=s.margin, threshold=-s.closeness,
                    reason=f"close means within {s.closeness:g}; {s.margin:g} allows the "
                           "binomial error") for k in METHODS[1:]]
    worst = {t: min(v - base[t][r] for k in METHODS for r, v in enumerate(acc[t][k]))
             for t in TASK_NAMES}
    share, size = m["share"][TASK_NAMES[0]], m["bytes"][TASK_NAMES[0]]
    return Evidence(checks=checks, demonstrations=[Demonstration(
        "an adapter's task stores only the parameters it trained, the frozen base is shared",
        f"share trained and bytes per task ({TASK_NAMES[0]}): " + ", ".join(
            f"{k} {share[k]:.2%} ({size[k]:,} B)" for k in METHODS))],
        preconditions=[Precondition(
            f"every fine-tuned model beats the majority-class baseline by more than "
            f"{s.baseline_margin:g}", "smallest accuracy minus baseline over methods and "
            "repeats: " + ", ".join(f"{t} {v:+.3f}" for t, v in worst.items()),
            all(v > s.baseline_margin for v in worst.values()))],
        notes=["held-out masked-LM blank accuracy of the pre-trained encoder per repeat: "
               + ", ".join(f"{a:.3f}" for a in m["mlm_accuracy"])])


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


@experiment(name="adapters", lecture=LECTURE, judge=judge_adapters,
            claim="BitFit, Houlsby adapters, AdapterBias, prefix tuning and LoRA come close "
                  "to full fine-tuning of a pre-trained BERT (tweet sentiment, punctuation of "
                  "held-out verses) while training a few percent of its parameters.")
def adapters(s: AdaptersSettings, ctx: RunContext) -> Result:
    acc = {t: {k: [] for k in METHODS} for t in TASK_NAMES}
    baseline, share, size, mlm = {t: [] for t in TASK_NAMES}, {}, {}, []
    ctx.plan(trials=s.repeats * (1 + len(TASK_NAMES) * len(METHODS)))
    for r in range(s.repeats):
        corpus = bible_corpus(seed=ctx.seed_for(f"split/r{r}"), vocab_size=s.vocab_size,
                              tokenizer_verses=s.tokenizer_verses, max_train=s.max_train or None)
        bert_mlm, accuracy = _pretrain(ctx, s, corpus, r)
        mlm.append(accuracy)
        for name in TASK_NAMES:
            task = downstream_task(name, corpus, generator=ctx.generator(f"task/{name}/r{r}"),
                                   max_len=s.max_len, train_size=s.train_size,
                                   test_size=s.test_size)
            baseline[name].append(task.baseline)
            for k in METHODS:
                with ctx.trial(f"{name}-{k}-r{r}") as t:
                    torch.manual_seed(ctx.seed_for(f"head/{name}/r{r}"))  # same head init
                    model = FineTuningModel(copy.deepcopy(bert_mlm.bert), task.kind,
                                            len(task.classes))
                    adapt(k, model, s, ctx.generator(f"prefix/{name}/r{r}"))
                    state = FineTuningState(model=model, optimizer=torch.optim.Adam(
                        [p for p in model.parameters() if p.requires_grad],
                        lr=s.full_lr if k == "full" else s.adapter_lr),
                        generator=ctx.generator(f"finetune/{name}/r{r}"), examples=task.train)
                    t.run(fine_tuning_step(s.finetune_batch), state,
                          LoopConfig(steps=s.finetune_steps), fingerprint=s.to_dict())
                    acc[name][k].append(t.record("test", lambda m=model, x=task.test: task_scores(
                        m, x))["accuracy"])
                share.setdefault(name, {})[k] = trainable_share(model)
                size.setdefault(name, {})[k] = bytes_per_task(model)
                if k == "full":
                    total = parameter_count(model)
    from mllab.experiments.self_supervised.plots import plot_adapters

    plot_adapters(ctx, acc, share, baseline, {t: "accuracy" for t in TASK_NAMES})
    mean = lambda v: sum(v) / len(v)  # noqa: E731
    rows = [[k, share[TASK_NAMES[0]][k], size[TASK_NAMES[0]][k],
             *(mean(acc[t][k]) for t in TASK_NAMES)] for k in METHODS]
    return Result(metrics={"accuracy": acc, "baseline": baseline, "share": share,
                           "bytes": size, "mlm_accuracy": mlm, "parameters": total}, tables=[
        table(f"Methods: share trained, bytes per task ({TASK_NAMES[0]}), mean test accuracy",
              ["method", "share trained", "bytes per task", *TASK_NAMES], rows),
        table("Test accuracy per repeat", ["task", "repeat", "baseline", *METHODS],
              [[t, r, baseline[t][r], *(acc[t][k][r] for k in METHODS)]
               for t in TASK_NAMES for r in range(s.repeats)])])
