r"""Text for the translation lectures: tokenisers and BLEU.
"""
