"""Table: the small MATLAB ``table`` that ``net.Learnables``, ``net.State``,
``net.Connections`` and ``info.TrainingHistory`` are.

Columns by attribute (``tbl.Parameter``), rows by ``tbl[i]`` (a dict), ``len(tbl)``
rows; the display follows MATLAB's (reference r2 §1.3: string columns quoted, cells of
arrays as ``{400×12  dlarray}``, numeric columns in ``format short``).
"""

import numpy as np

from ._display import TIMES, short_number
from .errors import raise_error


class Table:
    """A table with named columns of equal height.

    >>> t = Table(["Layer", "Parameter"], [["fc", "fc"], ["Weights", "Bias"]])
    >>> t.Parameter, len(t), t.size()
    (['Weights', 'Bias'], 2, (2, 2))
    """

    def __init__(self, names, columns, kinds=None):
        if not isinstance(names, (list, tuple)) or not all(isinstance(n, str) for n in names):
            raise_error("Table", "InvalidVariableNames",
                        f"Expected the variable names as a list of text, got "
                        f"{type(names).__name__}.", "type")
        if not isinstance(columns, (list, tuple)) or len(columns) != len(names) or \
                not all(isinstance(c, (list, tuple, np.ndarray)) for c in columns) or \
                len({len(c) for c in columns}) > 1:
            raise_error("Table", "InvalidColumns",
                        f"Expected {len(names)} columns of equal height (lists or arrays), "
                        f"got {type(columns).__name__}.", "type")
        if kinds is not None and not isinstance(kinds, dict):
            raise_error("Table", "InvalidKinds", f"Expected a dict of column kinds, got "
                        f"{type(kinds).__name__}.", "type")
        object.__setattr__(self, "_names", list(names))
        object.__setattr__(self, "_columns", {n: list(c) for n, c in zip(names, columns)})
        object.__setattr__(self, "_kinds", dict(kinds or {}))

    @classmethod
    def of(cls, names, columns, kinds=None):
        """A table of columns that the caller built and owns (lists of one height, names
        as text): nothing is checked or copied.

        >>> Table.of(["Layer", "Value"], [["fc"], [1.5]]).Value
        [1.5]
        """
        table = object.__new__(cls)
        object.__setattr__(table, "_names", list(names))
        object.__setattr__(table, "_columns", dict(zip(names, columns)))
        object.__setattr__(table, "_kinds", dict(kinds or {}))
        return table

    @property
    def VariableNames(self):  # noqa: N802 - MATLAB name
        return list(self._names)

    def __getattr__(self, name):
        columns = object.__getattribute__(self, "_columns")
        if name in columns:
            return columns[name]
        raise AttributeError(f"The table has no variable '{name}'.")

    def __setattr__(self, name, value):
        if name not in self._columns:
            raise_error("table", "UnknownVariable", f"The table has no variable '{name}'; "
                        f"its variables are {', '.join(self._names)}.")
        value = list(value)
        if len(value) != len(self):
            raise_error("table", "HeightMismatch", f"Variable '{name}' needs {len(self)} "
                        f"values, got {len(value)}.")
        self._columns[name] = value

    def __len__(self):
        return len(self._columns[self._names[0]]) if self._names else 0

    def size(self):
        return (len(self), len(self._names))

    def height(self):
        return len(self)

    def __getitem__(self, i):
        return {n: self._columns[n][i] for n in self._names}

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def copy(self):
        return Table.of(self._names, [list(self._columns[n]) for n in self._names],
                        self._kinds)

    def matlab_summary(self):
        return f"[{len(self)}{TIMES}{len(self._names)} table]"

    def __repr__(self):
        return table_text(self)

    __str__ = __repr__


def _cell_text(values):
    """Cells of arrays: ``{rows×cols dlarray}``, rows right- and columns left-aligned."""
    shapes = []
    for v in values:
        s = np.shape(v) if v is not None else (0, 0)
        s = s if len(s) >= 2 else (s[0] if s else 1, 1)
        shapes.append((str(s[0]), TIMES.join(str(d) for d in s[1:])))
    wr = max(len(r) for r, _ in shapes)
    wc = max(len(c) for _, c in shapes)
    return [f"{{{r:>{wr}}{TIMES}{c:<{wc}} dlarray}}" for r, c in shapes]


def table_text(table):
    """MATLAB's table display, from the ``  N×M table`` line on (pure function)."""
    n, m = table.size()
    if n == 0:
        head = "    " + "    ".join(table.VariableNames)
        rule = "    " + "    ".join("_" * len(h) for h in table.VariableNames)
        return f"  {n}{TIMES}{m} empty table\n\n{head}\n{rule}\n\n"
    heads, rules, cols = [], [], []
    for name in table.VariableNames:
        values = getattr(table, name)
        kind = table._kinds.get(name)
        if kind == "cell" or (kind is None and any(hasattr(v, "shape") for v in values)):
            cells = _cell_text(values)
            content = max(len(c) for c in cells)
            width = max(content + 2, len(name))
        elif all(isinstance(v, str) for v in values):
            cells = [f'"{v}"' for v in values]
            content = max(len(v) for v in values)
            width = max(content + 2, len(name))
        else:
            cells = [short_number(v) for v in values]
            content = max(len(c) for c in cells)
            width = max(content, len(name))
            cells = [f"{c:>{width}}" for c in cells]
        left = max(0, (content - len(name)) // 2)
        heads.append(f"{' ' * left}{name}".ljust(width))
        rules.append("_" * width)
        cols.append([c.ljust(width) for c in cells])
    lines = [f"  {n}{TIMES}{m} table", "", "    " + "    ".join(heads),
             "    " + "    ".join(rules), ""]
    for i in range(n):
        lines.append(("    " + "    ".join(c[i] for c in cols)).rstrip())
    return "\n".join(lines) + "\n\n"


__all__ = ["Table", "table_text"]
