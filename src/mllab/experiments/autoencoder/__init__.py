r"""Auto-encoder lecture: a bottleneck code against PCA, a de-noising auto-encoder, a discrete
code (VQ-VAE) against a continuous one at matched bits, a disentangled code whose parts swap
between examples, anomaly detection from normal data only.

Data: scikit-learn's digits (8x8 images, pixels scaled to [0, 1]).
"""

LECTURE = "Auto-encoders"
EXPERIMENTS: tuple[str, ...] = ("autoencoder_vs_pca", "denoising_autoencoder", "discrete_latent",
                                 "feature_disentangle", "anomaly_detection")
"""The lecture's experiment modules, in the order of the course."""
