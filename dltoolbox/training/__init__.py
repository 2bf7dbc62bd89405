"""Training: trainingOptions, the solvers, the loop and its progress report."""

from .loop import trainNetwork
from .options import TrainingOptions, trainingOptions
from .parallel import delete, gcp, parpool

__all__ = ["trainNetwork", "trainingOptions", "TrainingOptions", "parpool", "gcp", "delete"]
