"""What trainNetwork reports: the verbose table (§14.3), the info struct, the plot.

Text is built by pure functions (``table_header``, ``table_row``) and written to the
stream trainNetwork is given.
"""

import math
import os
import tempfile

import numpy as np

from ..errors import raise_error


class Struct(dict):
    """A MATLAB-like struct: fields by attribute (``info.TrainingLoss``) or by key."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError as exc:
            raise AttributeError(name) from exc

    def __setattr__(self, name, value):
        self[name] = value


def _widths(validation):
    return [9, 13, 16, 14, 14, 14, 14, 17] if validation else [9, 13, 16, 14, 14, 17]


def _centre(text, width):
    pad = width - len(text)
    left = pad // 2
    return " " * left + text + " " * (pad - left)


def rule(validation):
    w = _widths(validation)
    return "|" + "=" * (sum(w) + len(w) - 1) + "|"


def table_header(validation, regression):
    """The rule, the two header rows and the rule again."""
    metric = "RMSE" if regression else "Accuracy"
    if validation:
        top = ["Epoch", "Iteration", "Time Elapsed", "Mini-batch", "Validation", "Mini-batch",
               "Validation", "Base Learning"]
        bottom = ["", "", "(hh:mm:ss)", metric, metric, "Loss", "Loss", "Rate"]
    else:
        top = ["Epoch", "Iteration", "Time Elapsed", "Mini-batch", "Mini-batch",
               "Base Learning"]
        bottom = ["", "", "(hh:mm:ss)", metric, "Loss", "Rate"]
    w = _widths(validation)
    rows = ["|" + "|".join(_centre(t, n) for t, n in zip(cells, w)) + "|"
            for cells in (top, bottom)]
    return "\n".join([rule(validation)] + rows + [rule(validation)])


def format_time(seconds):
    s = int(math.floor(seconds))
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def format_loss(x, regression):
    if not np.isfinite(x):
        return "NaN" if np.isnan(x) else "Inf"
    if regression and abs(x) >= 100:
        return f"{x:.1f}"   # recent releases: one decimal for large regression losses
    return f"{x:.4e}" if 0 < abs(x) < 1e-4 else f"{x:.4f}"


def format_rate(rate):
    r32 = float(np.float32(rate))   # MATLAB keeps the rate in single precision
    return f"{r32:.4e}" if r32 < 1e-4 else f"{r32:.4f}"


def format_metric(x, regression):
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return ""
    return f"{x:.2f}" if regression else f"{x:.2f}%"


def table_row(epoch, iteration, elapsed, metric, loss, rate, regression, validation,
              val_metric=None, val_loss=None):
    """One data row of the verbose table."""
    cells = [str(epoch), str(iteration), format_time(elapsed), format_metric(metric, regression)]
    if validation:
        cells.append(format_metric(val_metric, regression))
    cells.append(format_loss(loss, regression))
    if validation:
        cells.append("" if val_loss is None or np.isnan(val_loss)
                     else format_loss(val_loss, regression))
    cells.append(format_rate(rate))
    w = _widths(validation)
    return "|" + "|".join((f" {c:>{n - 2}} " if c else " " * n)
                          for c, n in zip(cells, w)) + "|"


class ProgressPlot:
    """Plots 'training-progress': loss and accuracy/RMSE per iteration (matplotlib).

    Live when an interactive backend is available; otherwise the figure is saved as a PNG
    at the end of training and its path printed.
    """

    def __init__(self, regression, stream):
        try:
            import matplotlib  # noqa: PLC0415 - optional extra
        except ImportError:
            matplotlib = None
        if matplotlib is None:
            raise_error("trainNetwork", "PlotsNeedMatplotlib",
                        "Plots 'training-progress' needs matplotlib: pip install "
                        "'dltoolbox[plot]'.")
        if not os.environ.get("DISPLAY") and not os.environ.get("MPLBACKEND"):
            matplotlib.use("Agg")
        import matplotlib.pyplot as plt  # noqa: PLC0415
        self.plt = plt
        self.live = matplotlib.get_backend().lower() not in ("agg", "pdf", "svg", "ps",
                                                              "cairo", "template")
        self.regression = regression
        self.stream = stream
        self.fig, (self.ax_metric, self.ax_loss) = plt.subplots(2, 1, figsize=(8, 6),
                                                                sharex=True)
        self.fig.suptitle("Training Progress")

    def update(self, info, final=False):
        if not (final or self.live):
            return
        it = np.arange(1, len(info.TrainingLoss) + 1)
        metric_name = "TrainingRMSE" if self.regression else "TrainingAccuracy"
        val_name = "ValidationRMSE" if self.regression else "ValidationAccuracy"
        for ax, train, val, label in (
                (self.ax_metric, info[metric_name], info[val_name],
                 "RMSE" if self.regression else "Accuracy (%)"),
                (self.ax_loss, info.TrainingLoss, info.ValidationLoss, "Loss")):
            ax.clear()
            ax.plot(it, train, label="Training")
            v = np.asarray(val, dtype=float)
            ok = ~np.isnan(v)
            if ok.any():
                ax.plot(it[ok], v[ok], "k--o", markersize=3, label="Validation")
            ax.set_ylabel(label)
            ax.legend(loc="best")
        self.ax_loss.set_xlabel("Iteration")
        if self.live:
            self.plt.pause(0.001)
        if final and not self.live:
            fd, path = tempfile.mkstemp(prefix="training-progress-", suffix=".png")
            os.close(fd)
            self.fig.savefig(path, dpi=100)
            self.plt.close(self.fig)
            print(f"Training progress plot saved to {path}", file=self.stream)
