r"""The Transformer lecture's "tips for generation", for any autoregressive model.

A model is a step function ``step_fn(tokens (N, t), state) -> (logits (N, V), state)``
(:mod:`mllab.decoding.step`): a plain function of the prefix, or an incremental model whose
state holds a key/value cache.

- :func:`greedy_decode`: the argmax at each step;
- :func:`beam_search`: the ``beam_width`` best prefixes, length normalisation
  :math:`\log P(y) / |y|^{\alpha}`, n-best lists;
- :func:`sample`, :func:`filter_top_k`, :func:`filter_top_p` and :func:`sample_decode`:
  temperature, top-k and nucleus sampling (arXiv:1904.09751) through a ``torch.Generator``;
- :func:`nat_decode` and :func:`noisy_parallel_decode`: non-autoregressive decoding, the length
  first and then every position in one pass (arXiv:1711.02281); :func:`time_at_and_nat`, the
  wall time of both as the output length grows.
"""

from mllab.decoding.beam_search import BeamSearchResult, beam_search, length_normalised
from mllab.decoding.generation import Generation, generate
from mllab.decoding.greedy import greedy_decode
from mllab.decoding.non_autoregressive import NATDecoding, nat_decode, noisy_parallel_decode
from mllab.decoding.sampling import filter_top_k, filter_top_p, sample, sample_decode
from mllab.decoding.step import Reorder, State, StepFn, prompt_tokens, reorder_state
from mllab.decoding.timing import time_at_and_nat

__all__ = ["BeamSearchResult", "Generation", "Reorder", "State", "StepFn", "beam_search",
           "filter_top_k", "filter_top_p", "generate", "greedy_decode", "length_normalised",
           "prompt_tokens", "reorder_state", "sample", "sample_decode"]
__all__ += ["NATDecoding", "nat_decode", "noisy_parallel_decode", "time_at_and_nat"]
