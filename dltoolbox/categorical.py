"""A ``categorical`` array good enough for MATLAB's sequence examples.

Categories are sorted when created from values (numbers numerically, text lexically),
as MATLAB does; elements are stored as integer codes into the category list.
"""

import numpy as np

from ._display import size_text
from ._nameval import Option, options_table, parse_name_value
from ._validate import check_logical
from .errors import raise_error


class Categorical:
    """Labels stored as codes into ``categories``; behaves like a 1-D NumPy array.

    >>> c = categorical(['b', 'a', 'b'])
    >>> categories(c), len(c), (c == 'b').tolist()
    (['a', 'b'], 3, [True, False, True])
    """

    __array_priority__ = 100

    def __init__(self, codes, cats, shape=None, ordinal=False):
        if isinstance(cats, (str, bytes)) or not isinstance(cats, (list, tuple, np.ndarray)):
            raise_error("Categorical", "InvalidCategories",
                        f"The categories must be a list of names, got "
                        f"{type(cats).__name__}.", "type")
        try:
            codes = np.asarray(codes)
            ok = codes.dtype.kind in "iu" or (codes.dtype.kind == "f" and codes.size and
                                              np.isfinite(codes).all() and
                                              (codes == np.round(codes)).all())
        except (ValueError, TypeError):
            ok = False
        if not ok or (codes.size and (codes.min() < 0 or codes.max() >= len(cats))):
            raise_error("Categorical", "InvalidCodes",
                        f"The codes must be integers from 0 to {len(cats) - 1} (indices into "
                        f"the categories), got {str(codes)[:60]}.")
        if not all(isinstance(c, str) for c in cats) or len(set(cats)) != len(cats):
            raise_error("Categorical", "InvalidCategories",
                        "The categories must be unique names (text).", "type")
        if shape is not None and not (isinstance(shape, tuple) and len(shape) == 2 and
                                      all(type(n) is int and n >= 0 for n in shape) and
                                      shape[0] * shape[1] == codes.size):
            raise_error("Categorical", "InvalidShape",
                        f"The shape must be a tuple (rows, columns) holding {codes.size} "
                        f"elements, got {shape!r}.")
        self.codes = codes.astype(np.int64).reshape(-1)
        self.categories = list(cats)
        self.shape = shape or (self.codes.size, 1)
        self.ordinal = bool(ordinal)

    @classmethod
    def trusted(cls, codes, cats, shape, ordinal=False):
        """A categorical of parts taken from valid categoricals (int64 codes into
        ``cats``, unique names; a (rows, columns) shape): nothing is checked again.

        >>> Categorical.trusted(np.array([1, 0]), ["a", "b"], (1, 2)).tolist()
        ['b', 'a']
        """
        out = object.__new__(cls)
        out.codes, out.categories, out.shape, out.ordinal = codes, cats, shape, ordinal
        return out

    # -- array behaviour -------------------------------------------------------------
    def __len__(self):
        return self.codes.size

    @property
    def size(self):
        return self.codes.size

    def __getitem__(self, index):
        if isinstance(index, Categorical):
            raise_error("categorical", "InvalidIndex", "A categorical cannot index another.")
        sub = self.codes[index]
        if np.ndim(sub) == 0:
            return Categorical([int(sub)], self.categories, (1, 1), self.ordinal)
        return Categorical(sub, self.categories, (np.size(sub), 1) if self.shape[1] == 1 or
                           self.shape[0] != 1 else (1, np.size(sub)), self.ordinal)

    def __iter__(self):
        for k in self.codes:
            yield self.categories[k]

    def tolist(self):
        """The labels as a list of strings."""
        return [self.categories[k] for k in self.codes]

    def __eq__(self, other):
        if isinstance(other, Categorical):
            if len(other) not in (1, len(self)):
                raise_error("categorical", "SizeMismatch",
                            f"Cannot compare categorical arrays of {len(self)} and "
                            f"{len(other)} elements.")
            mine = np.array(self.tolist(), dtype=object)
            theirs = np.array(other.tolist(), dtype=object)
            return mine == theirs
        if isinstance(other, str):
            return np.array([c == other for c in self.tolist()], dtype=bool)
        return NotImplemented

    def __ne__(self, other):
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else ~eq

    __hash__ = None

    # -- ordinal comparisons (MATLAB: only for ordinal categorical arrays) ------------
    def _order_codes(self, other, op):
        if not self.ordinal:
            raise_error("categorical", "NotOrdinal",
                        f"Relational comparison '{op}' needs an ordinal categorical array; "
                        f"create it with categorical(..., 'Ordinal', true).")
        if isinstance(other, Categorical):
            if other.categories != self.categories or not other.ordinal:
                raise_error("categorical", "OrdinalMismatch",
                            "Ordinal categorical arrays can be compared only when they have "
                            "the same categories in the same order.")
            return other.codes
        if isinstance(other, str):
            if other not in self.categories:
                raise_error("categorical", "UnknownCategory",
                            f"'{other}' is not a category of this ordinal array "
                            f"({', '.join(self.categories)}).")
            return self.categories.index(other)
        raise_error("categorical", "InvalidComparison",
                    f"Cannot compare an ordinal categorical array with "
                    f"{type(other).__name__}.", "type")

    def __lt__(self, other):
        return self.codes < self._order_codes(other, "<")

    def __le__(self, other):
        return self.codes <= self._order_codes(other, "<=")

    def __gt__(self, other):
        return self.codes > self._order_codes(other, ">")

    def __ge__(self, other):
        return self.codes >= self._order_codes(other, ">=")

    def __repr__(self):
        labels = self.tolist()
        w = max((len(s) for s in labels), default=0)
        head = f"  {size_text(self.shape)} categorical array"
        return "\n".join([head, ""] + [f"     {s:<{w}} " for s in labels]) + "\n"

    def matlab_summary(self):
        return f"[{size_text(self.shape)} categorical]"


def _sort_key(values):
    try:
        return sorted(values, key=float)
    except (TypeError, ValueError):
        return sorted(values)


def _label_values(values, func, arg="values"):
    """``values`` as a NumPy array of labels (text or numbers), or a named error."""
    if isinstance(values, str):
        values = [values]
    try:
        arr = np.asarray(values)
    except (ValueError, TypeError):
        arr = None
    if arr is None or arr.dtype.kind not in "biufUS":
        raise_error(func, "InvalidValues",
                    f"'{arg}' must be an array or list of text or numbers with the same "
                    f"number of elements in every row, got {type(values).__name__} "
                    f"{str(values)[:60]}.", "type")
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        raise_error(func, "InvalidValues", f"'{arg}' contains NaN or Inf; categorical "
                    f"labels must be finite numbers or text.")
    return arr


def _as_text(values):
    """Values as category text: integers without '.0', as MATLAB prints them."""
    flat = np.asarray(values, dtype=object).ravel()
    text = [str(v.item() if hasattr(v, "item") else v) for v in flat]
    if any(isinstance(v, (float, np.floating)) and not float(v).is_integer() for v in flat):
        return text
    return [t[:-2] if t.endswith(".0") else t for t in text]


_ORDINAL = options_table(Option("Ordinal", False, check_logical))


def categorical(values, valueset=None, catnames=None, *args, **kwargs):
    """Create a categorical array (MATLAB ``categorical``).

    ``categorical(values)`` sorts the unique values into the categories;
    ``categorical(values, valueset)`` uses the given categories in that order;
    ``categorical(values, valueset, catnames)`` names them ``catnames``;
    ``categorical(..., 'Ordinal', true)`` makes an ordinal array (``<``, ``>=``, ...
    compare by category order). A value outside ``valueset`` is an error (MATLAB makes it
    <undefined>, which dltoolbox does not have).

    >>> categorical([3, 1, 3]).categories
    ['1', '3']
    >>> c = categorical([1, 3, 2], [1, 2, 3], ['low', 'mid', 'high'], 'Ordinal', True)
    >>> c.tolist(), (c > 'low').tolist()
    (['low', 'high', 'mid'], [False, True, True])
    """
    if isinstance(valueset, str) and valueset.lower() == "ordinal":   # categorical(v, 'Ordinal', t)
        args, valueset = (valueset, catnames) + args, None
        catnames = None
    elif isinstance(catnames, str) and catnames.lower() == "ordinal":
        args, catnames = (catnames,) + args, None
    opts = parse_name_value("categorical", args, kwargs, _ORDINAL)
    if isinstance(values, Categorical) and valueset is None and catnames is None:
        if opts["Ordinal"] and not values.ordinal:
            return Categorical(values.codes, values.categories, values.shape, True)
        return values
    if isinstance(values, Categorical):
        values = values.tolist()
    values = _label_values(values, "categorical")
    if valueset is not None:
        valueset = _label_values(valueset, "categorical", "valueset")
    text = _as_text(values)
    cats = _as_text(valueset) if valueset is not None else _sort_key(set(text))
    if len(set(cats)) != len(cats):
        raise_error("categorical", "DuplicateValueSet", "The valueset has repeated values.")
    index = {c: i for i, c in enumerate(cats)}
    missing = [t for t in text if t not in index]
    if missing:
        raise_error("categorical", "ValueNotInValueSet",
                    f"Value '{missing[0]}' is not in the given categories.")
    if catnames is not None:
        names = [str(n) for n in np.ravel(np.asarray(catnames, dtype=object))]
        if len(names) != len(cats):
            raise_error("categorical", "CatNamesSize",
                        f"catnames must name each of the {len(cats)} values of valueset, got "
                        f"{len(names)} names.")
        if len(set(names)) != len(names):
            raise_error("categorical", "DuplicateCatNames", "catnames has repeated names.")
        cats = names
    return Categorical([index[t] for t in text], cats, ordinal=opts["Ordinal"])


def isordinal(c):
    """True for an ordinal categorical array (MATLAB ``isordinal``).

    >>> isordinal(categorical(['a', 'b'], 'Ordinal', True))
    True
    """
    return isinstance(c, Categorical) and c.ordinal


def categories(c):
    """The category names of a categorical array (MATLAB ``categories``)."""
    if not isinstance(c, Categorical):
        raise_error("categories", "InvalidInput",
                    f"Expected a categorical array, got {type(c).__name__}.", "type")
    return list(c.categories)


def countcats(c):
    """Number of elements in each category (MATLAB ``countcats``).

    >>> countcats(categorical(['a', 'b', 'b'])).tolist()
    [1, 2]
    """
    if not isinstance(c, Categorical):
        raise_error("countcats", "InvalidInput",
                    f"Expected a categorical array, got {type(c).__name__}.", "type")
    return np.bincount(c.codes, minlength=len(c.categories))
