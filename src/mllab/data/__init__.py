r"""Data for the course: bundled scikit-learn datasets, standardization, synthetic series, batches.

scikit-learn is imported only inside :func:`load_dataset`, so importing this package is cheap.
"""

from mllab.data.augment import shift_images, with_shifted_copies
from mllab.data.batching import batch_indices
from mllab.data.datasets import DATASETS, Split, load_dataset, split_indices
from mllab.data.scaling import Standardizer
from mllab.data.synthetic import channel_views, kinked_curve, sliding_windows

__all__ = [
    "DATASETS",
    "Split",
    "Standardizer",
    "batch_indices",
    "channel_views",
    "kinked_curve",
    "load_dataset",
    "sliding_windows",
    "shift_images",
    "split_indices",
    "with_shifted_copies",
]
