r"""Experiments of this lecture (being written)."""
