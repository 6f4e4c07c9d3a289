r"""The self-supervised lectures: BERT and GPT.

- :class:`Bert` and :class:`BertConfig`: token, position and segment embeddings, post-LN
  encoder blocks, the ``[CLS]`` pooler;
- :class:`GPT` and :class:`GPTConfig`: causal pre-LN blocks, tied output layer, generation with
  a key/value cache through ``mllab.decoding``.
"""

from mllab.pretraining.bert import Bert, BertConfig
from mllab.pretraining.gpt import GPT, GPTConfig

__all__ = ["GPT", "Bert", "BertConfig", "GPTConfig"]
