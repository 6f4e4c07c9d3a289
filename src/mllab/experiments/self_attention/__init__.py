r"""Self-attention lecture: every token looks at every other (and at itself), so a label may
depend on a token far away; without positional encoding the order is invisible; RNNs must walk
the sequence step by step; CNN is self-attention restricted to a window; a truncated window
costs less where the information is local.

Data: seeded synthetic sequence tasks (named so) and scikit-learn's digits cut into patches.
"""

LECTURE = "Self-attention"
EXPERIMENTS: tuple[str, ...] = ("attention_vs_window", "positional_encoding", "attention_vs_rnn",
                               "attention_vs_cnn", "truncated_attention")
"""The lecture's experiment modules, in the order of the course."""
