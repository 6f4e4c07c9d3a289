r"""Auto-encoder lecture: a bottleneck code against PCA, anomaly detection from normal data
only; (later) de-noising, disentangling and discrete codes.

Data: scikit-learn's digits (8x8 images, pixels scaled to [0, 1]).
"""

LECTURE = "Auto-encoders"
EXPERIMENTS: tuple[str, ...] = ("autoencoder_vs_pca", "anomaly_detection")
"""The lecture's experiment modules, in the order of the course."""
