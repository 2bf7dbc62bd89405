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


# None: live when matplotlib has an interactive backend; True forces live updates (the
# tests check them headless, on Agg)
LIVE = None
_HEADLESS = ("agg", "pdf", "svg", "ps", "cairo", "template")


def legacy_panels(regression):
    """trainNetwork's two panels: accuracy (or RMSE) above the loss."""
    metric = "RMSE" if regression else "Accuracy"
    return [("RMSE" if regression else "Accuracy (%)", f"Training{metric}",
             f"Validation{metric}"), ("Loss", "TrainingLoss", "ValidationLoss")]


class ProgressPlot:
    """Plots 'training-progress' (matplotlib): one panel per (label, training key,
    validation key) of ``panels``, the values per iteration read from the ``info`` given
    to ``update`` (validation values NaN where there was no validation).

    Live (redrawn at every ``update``) when an interactive backend is available or
    ``LIVE`` is True; otherwise drawn once at the end, and without a display saved as a
    PNG whose path is printed. trainNetwork and trainnet share it.
    """

    def __init__(self, panels, stream, func="trainNetwork"):
        try:
            import matplotlib  # noqa: PLC0415 - optional extra
        except ImportError:
            matplotlib = None
        if matplotlib is None:
            raise_error(func, "PlotsNeedMatplotlib",
                        "Plots 'training-progress' needs matplotlib: pip install "
                        "'dltoolbox[plot]'.")
        if not os.environ.get("DISPLAY") and not os.environ.get("MPLBACKEND"):
            matplotlib.use("Agg")
        import matplotlib.pyplot as plt  # noqa: PLC0415
        self.plt = plt
        self.interactive = matplotlib.get_backend().lower() not in _HEADLESS
        self.live = self.interactive if LIVE is None else bool(LIVE)
        self.stream = stream
        self.panels = list(panels)
        self.fig, axes = plt.subplots(len(self.panels), 1, figsize=(8, 3 * len(self.panels)),
                                      sharex=True, squeeze=False)
        self.axes = list(axes[:, 0])
        self.fig.suptitle("Training Progress")
        self.lines = []
        for ax, (label, _, _) in zip(self.axes, self.panels):
            train, = ax.plot([], [], label="Training")
            val, = ax.plot([], [], "k--o", markersize=3, label="Validation")
            ax.set_ylabel(label)
            self.lines.append((train, val))
        self.axes[-1].set_xlabel("Iteration")
        self.updates = 0          # redraws so far (live) - the tests count them

    def update(self, info, final=False):
        if not (final or self.live):
            return
        for ax, (_, tkey, vkey), (tline, vline) in zip(self.axes, self.panels, self.lines):
            train = np.asarray(info[tkey], dtype=float)
            it = np.arange(1, len(train) + 1)
            tline.set_data(it, train)
            v = np.asarray(info.get(vkey, ()), dtype=float)[:len(it)]
            ok = ~np.isnan(v)
            vline.set_data(it[:len(v)][ok], v[ok])
            ax.relim()
            ax.autoscale_view()
            if ax.get_legend() is None or ok.any() != self._has_val(ax):
                ax.legend(handles=[tline, vline] if ok.any() else [tline], loc="best")
        self.updates += 1
        if self.live and self.interactive:
            self.plt.pause(0.001)
        elif self.live:
            self.fig.canvas.draw_idle()
        if final and not self.interactive:
            fd, path = tempfile.mkstemp(prefix="training-progress-", suffix=".png")
            os.close(fd)
            self.fig.savefig(path, dpi=100)
            self.plt.close(self.fig)
            print(f"Training progress plot saved to {path}", file=self.stream)

    @staticmethod
    def _has_val(ax):
        legend = ax.get_legend()
        return legend is not None and len(legend.get_texts()) == 2
