r"""Text for the translation lectures: tokenisers and BLEU.
"""

from mllab.text.bleu import BLEUStats, corpus_bleu, teaching_bleu
from mllab.text.char_tokenizer import CharTokenizer
from mllab.text.sentencepiece_tokenizer import SentencePieceTokenizer
from mllab.text.special_tokens import BOS_ID, EOS_ID, PAD_ID, UNK_ID

__all__ = ["BLEUStats", "BOS_ID", "CharTokenizer", "EOS_ID", "PAD_ID", "SentencePieceTokenizer",
           "UNK_ID", "corpus_bleu", "teaching_bleu"]
