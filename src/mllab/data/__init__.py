r"""Data for the course: bundled scikit-learn datasets, standardization, synthetic series, batches.

scikit-learn is imported only inside :func:`load_dataset`, so importing this package is cheap.
"""

from mllab.data.augment import shift_images, with_shifted_copies
from mllab.data.batching import batch_indices, updates_per_epoch
from mllab.data.datasets import DATASETS, Split, load_dataset, raw_diabetes, split_indices
from mllab.data.features import power_features
from mllab.data.scaling import Standardizer
from mllab.data.synthetic import channel_views, kinked_curve, sliding_windows, xor_clusters

__all__ = [
    "DATASETS",
    "Split",
    "Standardizer",
    "batch_indices",
    "channel_views",
    "kinked_curve",
    "load_dataset",
    "power_features",
    "raw_diabetes",
    "sliding_windows",
    "shift_images",
    "split_indices",
    "updates_per_epoch",
    "with_shifted_copies",
    "xor_clusters",
]
