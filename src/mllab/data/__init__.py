r"""Data for the course: bundled scikit-learn datasets, CSV tables, synthetic data, splits,
standardization, feature selection, batches.

scikit-learn is imported only inside :func:`load_dataset` and :meth:`FeatureSelector.fit`, so
importing this package is cheap.
"""

from mllab.data.augment import shift_images, with_shifted_copies
from mllab.data.batching import batch_indices, updates_per_epoch
from mllab.data.bible import (
    BiblePair,
    BibleSplit,
    BibleVerse,
    bible_pairs,
    dropped_bible_chapters,
    english_verses,
    filter_max_words,
    split_bible_pairs,
)
from mllab.data.covid_like import covid_like_rows, write_covid_like_csv
from mllab.data.csv_table import CSVError, Table, load_csv
from mllab.data.datasets import DATASETS, Split, load_dataset, raw_diabetes, split_indices
from mllab.data.fashion_mnist import load_fashion_mnist, read_idx
from mllab.data.feature_selection import FeatureSelector
from mllab.data.features import power_features
from mllab.data.local_task import local_counts, local_task
from mllab.data.long_range_task import (
    LongRangeTask,
    accuracy_by_distance,
    long_range_task,
    long_range_vocab,
)
from mllab.data.order_task import order_task
from mllab.data.patches import image_patches
from mllab.data.scaling import Standardizer
from mllab.data.synthetic import channel_views, kinked_curve, sliding_windows, xor_clusters
from mllab.data.train_valid_split import train_valid_split
from mllab.data.tweets import SENTIMENTS, Tweet, TweetSplit, split_tweets, tweets

__all__ = [
    "BiblePair",
    "BibleSplit",
    "BibleVerse",
    "bible_pairs",
    "dropped_bible_chapters",
    "english_verses",
    "filter_max_words",
    "split_bible_pairs",
    "CSVError",
    "DATASETS",
    "FeatureSelector",
    "load_fashion_mnist",
    "read_idx",
    "LongRangeTask",
    "Split",
    "Standardizer",
    "Table",
    "accuracy_by_distance",
    "batch_indices",
    "channel_views",
    "covid_like_rows",
    "image_patches",
    "kinked_curve",
    "local_counts",
    "local_task",
    "load_csv",
    "load_dataset",
    "long_range_task",
    "long_range_vocab",
    "order_task",
    "power_features",
    "raw_diabetes",
    "sliding_windows",
    "shift_images",
    "split_indices",
    "train_valid_split",
    "updates_per_epoch",
    "with_shifted_copies",
    "write_covid_like_csv",
    "xor_clusters",
    "SENTIMENTS",
    "Tweet",
    "TweetSplit",
    "split_tweets",
    "tweets",
]
