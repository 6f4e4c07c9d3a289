r"""Training: the loop, checkpoints with exact resume, seeding and graceful stop."""

from mllab.train.checkpoint import (
    Checkpoint,
    CheckpointError,
    latest_checkpoint,
    list_checkpoints,
    load_checkpoint,
    save_checkpoint,
)
from mllab.train.seed import derive_seed, seed_everything, set_threads
from mllab.train.stop import graceful_stop, request_stop, stop_requested
from mllab.train.trainer import (
    FitResult,
    NonFiniteLossError,
    TrainConfig,
    Trainer,
    TrainingInterrupted,
    weight_penalty,
)

__all__ = [
    "Checkpoint", "CheckpointError", "FitResult", "NonFiniteLossError", "TrainConfig",
    "Trainer", "TrainingInterrupted", "derive_seed", "graceful_stop", "latest_checkpoint",
    "list_checkpoints", "load_checkpoint", "request_stop", "save_checkpoint", "seed_everything",
    "set_threads", "stop_requested", "weight_penalty",
]
