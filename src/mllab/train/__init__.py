r"""Training: the general step loop, the supervised Trainer on top of it, checkpoints with
exact resume, seeding, graceful stop and several processes (DDP)."""

from mllab.train.checkpoint import (
    Checkpoint,
    CheckpointError,
    latest_checkpoint,
    list_checkpoints,
    load_checkpoint,
    save_checkpoint,
    tensor_fingerprint,
)
from mllab.train.cross_validation import (
    CrossValidation,
    cross_validate,
    cross_validation_mse,
    kfold_indices,
)
from mllab.train.descent import DescentState, descent_step
from mllab.train.distributed import (
    DistributedError,
    init_from_env,
    is_main,
    launch,
    rank,
    resolve_device,
    world_size,
)
from mllab.train.loop import (
    LoopConfig,
    LoopResult,
    LoopState,
    NonFiniteLossError,
    TrainingInterrupted,
    episode_seed,
    run_loop,
    transient,
)
from mllab.train.seed import derive_seed, seed_everything, set_threads
from mllab.train.stop import graceful_stop, request_stop, stop_requested
from mllab.train.tabular_estimator import (
    OPTIMIZERS,
    TASKS,
    EstimatorConfig,
    TabularEstimator,
    TrainingParts,
)
from mllab.train.trainer import FitResult, SupervisedState, TrainConfig, Trainer, weight_penalty

__all__ = [
    "OPTIMIZERS", "TASKS", "Checkpoint", "CheckpointError", "CrossValidation", "DescentState",
    "EstimatorConfig", "TabularEstimator", "TrainingParts", "cross_validate", "FitResult",
    "LoopConfig", "LoopResult", "LoopState", "NonFiniteLossError", "SupervisedState",
    "TrainConfig", "Trainer", "TrainingInterrupted", "cross_validation_mse", "derive_seed",
    "descent_step", "episode_seed", "graceful_stop", "kfold_indices", "latest_checkpoint",
    "list_checkpoints", "load_checkpoint", "request_stop", "run_loop", "save_checkpoint",
    "seed_everything", "set_threads", "stop_requested", "tensor_fingerprint", "transient",
    "weight_penalty", "DistributedError", "init_from_env", "is_main", "launch", "rank",
    "resolve_device", "world_size",
]
