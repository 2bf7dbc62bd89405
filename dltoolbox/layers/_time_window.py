"""What convolution1dLayer and the 1-D pooling layers share: the Padding option, the
padded length and output length, and padding along time with gradients.

Data are (T, B, C). A window of ``size`` taps ``dilation`` apart, moved by ``stride``
over the padded sequence, gives To = floor((T + left + right - (size-1) dilation - 1) /
stride) + 1 outputs. 'same' pads so that To = ceil(T / stride), the odd step on the right;
'causal' pads (size-1) dilation steps on the left only.
"""

import numpy as np

from .._validate import as_integer, describe, is_real_number
from ..backend import get_xp
from ..errors import raise_error


def check_padding(allow_causal):
    """Padding: 'same', ('causal'), a nonnegative integer, or [left right]."""
    modes = ("same", "causal") if allow_causal else ("same",)
    expected = " or ".join(f"'{m}'" for m in modes) + \
        ", a nonnegative integer or a vector [left right] of nonnegative integers"

    def check(value, func, name):
        if isinstance(value, str):
            if value.lower() in modes:
                return value.lower()
        elif is_real_number(value):
            n = as_integer(value)
            if n is not None and n >= 0:
                return (n, n)
        elif isinstance(value, (list, tuple, np.ndarray)):
            vals = [as_integer(v) if is_real_number(v) else None for v in np.ravel(value)]
            if len(vals) == 2 and all(v is not None and v >= 0 for v in vals):
                return tuple(vals)
        raise_error(func, f"Invalid{name}",
                    f"Invalid value for '{name}'. Expected {expected}, got "
                    f"{describe(value)}.")
    return check


def padding_mode(padding):
    return padding if isinstance(padding, str) else "manual"


def padding_sizes(padding, t, size, stride, dilation):
    """(left, right) padding for a sequence of t steps."""
    span = (size - 1) * dilation + 1
    if padding == "same":
        total = max((-(-t // stride) - 1) * stride + span - t, 0)
        return total // 2, total - total // 2
    if padding == "causal":
        return span - 1, 0
    return padding


def output_length(t, padding, size, stride, dilation):
    left, right = padding_sizes(padding, t, size, stride, dilation)
    return (t + left + right - (size - 1) * dilation - 1) // stride + 1


def check_length(func, name, t, padding, size, stride, dilation, what):
    """Raise when a t-step sequence gives no output, or the padding exceeds it."""
    left, right = padding_sizes(padding, t, size, stride, dilation)
    if not isinstance(padding, str) and max(left, right) > t:
        raise_error(func, "PaddingTooLarge",
                    f"Layer '{name}': padding [{left} {right}] is larger than the sequence "
                    f"({t} time steps). Use smaller padding or longer sequences.")
    if output_length(t, padding, size, stride, dilation) < 1:
        span = (size - 1) * dilation + 1
        raise_error(func, "SequenceTooShort",
                    f"Layer '{name}': the {what} spans {span} time steps but the padded "
                    f"sequence has {t + left + right}. Use longer sequences (set the input "
                    f"layer's MinLength), padding, or a smaller {what}.")


def pad_time(X, left, right, value):
    """Pad (T, B, C) along time; value is a number (constant) or 'replicate',
    'symmetric-include-edge', 'symmetric-exclude-edge'. Returns (Xp, unpad) where
    unpad(dXp) gives the gradient with respect to X."""
    if left == 0 and right == 0:
        return X, (lambda d: d)
    xp = get_xp(X)
    t = X.shape[0]
    if not isinstance(value, str):
        Xp = xp.full((t + left + right,) + X.shape[1:], value, dtype=X.dtype)
        Xp[left:left + t] = X
        return Xp, (lambda d: d[left:left + t])
    mode = {"replicate": "edge", "symmetric-include-edge": "symmetric",
            "symmetric-exclude-edge": "reflect"}[value]
    idx = np.pad(np.arange(t), (left, right), mode=mode)
    Xp = X[xp.asarray(idx)]
    pads = [(j, int(idx[j])) for j in list(range(left)) + list(range(left + t, idx.size))]

    def unpad(d):
        dX = d[left:left + t].copy()
        for j, src in pads:            # at most left + right steps: basic indexing only
            dX[src] += d[j]
        return dX
    return Xp, unpad


def windows(Xp, size, stride, dilation, to):
    """The taps: [Xp[f d : f d + (to-1) stride + 1 : stride] for f in range(size)]."""
    last = (to - 1) * stride + 1
    return [Xp[f * dilation:f * dilation + last:stride] for f in range(size)]


class WindowedLayer:
    """Mixin for layers that move a window over time: the read-only PaddingMode and
    PaddingSize properties and the padding text of the description. Subclasses define
    ``_window()`` -> (size, stride, dilation)."""

    @property
    def PaddingMode(self):  # noqa: N802 - MATLAB name
        return padding_mode(self.Padding)

    @property
    def PaddingSize(self):  # noqa: N802 - MATLAB name
        """[left right]; for 'same' known only for a given length (shown as [0 0])."""
        if self.Padding == "same":
            return np.zeros(2)
        return np.array(padding_sizes(self.Padding, 1, *self._window()), dtype=float)

    def _padding_text(self):
        if isinstance(self.Padding, str):
            return f"'{self.Padding}'"
        return "[" + "  ".join(str(p) for p in self.Padding) + "]"
