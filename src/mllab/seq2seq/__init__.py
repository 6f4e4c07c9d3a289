r"""Sequence to sequence beyond the Transformer: the RNN baseline and the lecture's training tips.
"""
