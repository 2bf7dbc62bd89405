"""Training: trainingOptions, the solvers, the loop and its progress report."""

from .loop import trainNetwork
from .options import TrainingOptions, trainingOptions

__all__ = ["trainNetwork", "trainingOptions", "TrainingOptions"]
