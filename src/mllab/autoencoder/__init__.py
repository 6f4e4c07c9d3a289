r"""The auto-encoder lecture: a bottleneck code, de-noising, disentangling, discrete codes,
anomaly detection.

- :class:`MLPAutoencoder`, :class:`ConvAutoencoder`: encoder, code of chosen size, decoder;
- :func:`corrupt`, :func:`denoising_loss`: the de-noising auto-encoder (ICML 2008);
- :class:`DisentanglingAutoencoder`: a code in two parts and the swap;
- :func:`binary_code`, :func:`one_hot_code`, :class:`DiscreteAutoencoder`: discrete codes with
  the straight-through estimator;
- :class:`VectorQuantizer`, :class:`VQVAE`: VQ-VAE's codebook (arXiv:1711.00937);
- :func:`reconstruction_score` and the baselines :func:`pca_reconstruction_score`,
  :func:`knn_distance_score`: anomaly detection.
"""

from mllab.autoencoder.anomaly_detection import (
    knn_distance_score,
    pca_reconstruction_score,
    reconstruction_score,
)
from mllab.autoencoder.autoencoder import (
    ConvAutoencoder,
    MLPAutoencoder,
    mlp_stack,
    reconstruction_error,
)
from mllab.autoencoder.denoising_autoencoder import CORRUPTIONS, corrupt, denoising_loss
from mllab.autoencoder.discrete_code import (
    CODES,
    DiscreteAutoencoder,
    binary_code,
    one_hot_code,
    straight_through,
)
from mllab.autoencoder.disentangling_autoencoder import (
    DisentangleLoss,
    DisentanglingAutoencoder,
)
from mllab.autoencoder.vector_quantizer import (
    Quantized,
    VectorQuantizer,
    codebook_perplexity,
    codebook_usage,
    nearest_code,
)
from mllab.autoencoder.vq_vae import VQVAE, VQVAEOutput

__all__ = [
    "CODES", "CORRUPTIONS", "ConvAutoencoder", "DiscreteAutoencoder", "DisentangleLoss",
    "DisentanglingAutoencoder", "MLPAutoencoder", "Quantized", "VQVAE",
    "VQVAEOutput", "VectorQuantizer", "binary_code", "codebook_perplexity", "codebook_usage",
    "corrupt", "denoising_loss", "knn_distance_score", "mlp_stack",
    "nearest_code", "one_hot_code", "pca_reconstruction_score", "reconstruction_error",
    "reconstruction_score", "straight_through",
]
