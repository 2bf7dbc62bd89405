"""The one name-value parser of the package.

Every public function declares a table of :class:`Option` and calls
:func:`parse_name_value`, which accepts MATLAB's trailing ``'Name', value`` pairs and
Python keywords alike, matches names case-insensitively and returns a dict keyed by the
canonical names, each value validated (and canonicalised) by the option's checker.
"""

import difflib

from .errors import raise_error


class Option:
    """One name-value option: canonical ``name``, ``default`` and a ``check`` function."""

    __slots__ = ("name", "default", "check")

    def __init__(self, name, default, check=None):
        self.name = name
        self.default = default
        self.check = check


def options_table(*options):
    """Build the lookup table that :func:`parse_name_value` takes."""
    return {o.name.lower(): o for o in options}


def canonical_name(func, name, table):
    """Return the canonical spelling of option ``name`` or raise with a suggestion."""
    if not isinstance(name, str):
        raise_error(func, "InvalidNameValueName",
                    f"Expected a name (a character vector or string) in the name-value "
                    f"arguments, got {type(name).__name__} {name!r}.", "type")
    opt = table.get(name.lower())
    if opt is None:
        valid = [o.name for o in table.values()]
        close = difflib.get_close_matches(name.lower(), [v.lower() for v in valid], n=1,
                                          cutoff=0.6)
        hint = ""
        if close:
            hint = f" Did you mean '{table[close[0]].name}'?"
        raise_error(func, "UnknownNameValueArgument",
                    f"'{name}' is not a valid name-value argument.{hint} "
                    f"Valid names are: {', '.join(valid)}.")
    return opt.name


_MEMO = {}
_MEMO_SIZE = 256


def parse_name_value(func, args, kwargs, table, defaults=True):
    """Parse name-value arguments (see :func:`_parse`), remembering hashable calls.

    A closed loop calls e.g. ``predictAndUpdateState(net, y, 'ExecutionEnvironment', 'cpu')``
    thousands of times with the same options; those are parsed once. Returns a new dict.
    """
    try:
        # types are part of the key: True == 1 == 1.0 hash alike but may not be alike valid
        # (no options at all, the closed loop's usual call, needs no type tuples)
        key = (func, id(table), defaults) if not args and not kwargs else \
            (func, id(table), args, tuple(map(type, args)), tuple(kwargs.items()),
             tuple(type(v) for v in kwargs.values()), defaults)
        hit = _MEMO.get(key)
    except TypeError:            # an unhashable value (an array, a list): parse every time
        return _parse(func, args, kwargs, table, defaults)
    if hit is None:
        hit = _parse(func, args, kwargs, table, defaults)
        if len(_MEMO) >= _MEMO_SIZE:
            _MEMO.clear()
        _MEMO[key] = hit
    return dict(hit)


def _parse(func, args, kwargs, table, defaults=True):
    """Parse ``args`` (Name, Value, ...) and ``kwargs`` against ``table``.

    Returns a dict of canonical name -> validated value; with ``defaults`` the options not
    given take their defaults.

    >>> from dltoolbox._validate import check_one_of
    >>> t = options_table(Option("OutputMode", "sequence", check_one_of("sequence", "last")))
    >>> _parse("f", ("outputmode", "LAST"), {}, t)
    {'OutputMode': 'last'}
    """
    if len(args) % 2:
        raise_error(func, "OddNameValue",
                    f"Name-value arguments must come in pairs, but {len(args)} trailing "
                    f"argument{'s were' if len(args) != 1 else ' was'} given.")
    given = {}
    pairs = list(zip(args[0::2], args[1::2])) + list(kwargs.items())
    for name, value in pairs:
        canon = canonical_name(func, name, table)
        if canon in given:
            raise_error(func, "DuplicateName",
                        f"The name-value argument '{canon}' is given more than once.")
        opt = table[canon.lower()]
        given[canon] = opt.check(value, func, canon) if opt.check else value
    if defaults:
        out = {o.name: o.default for o in table.values()}
        out.update(given)
        return out
    return given
