"""Exceptions raised by dltoolbox.

Every error carries a MATLAB-like ``identifier`` (``dltoolbox:<function>:<Mnemonic>``)
so that ported ``try/catch`` code can switch on ``ME.identifier``.
"""

import functools

__all__ = ["DLToolboxError", "DLValueError", "DLTypeError", "raise_error", "as_called_from",
           "named_arity"]


class DLToolboxError(Exception):
    """Base class of every dltoolbox error; ``identifier`` names function and cause."""

    def __init__(self, identifier, message):
        super().__init__(message)
        self.identifier = identifier
        self.message = message


class DLValueError(DLToolboxError, ValueError):
    """A value of the right type but not allowed (wrong size, out of range, ...)."""


class DLTypeError(DLToolboxError, TypeError):
    """A value of the wrong type (a number where a name belongs, ...)."""


def raise_error(func, mnemonic, message, kind="value"):
    """Raise ``dltoolbox:<func>:<mnemonic>`` with ``"<func>: <message>"``.

    >>> try:
    ...     raise_error("gruLayer", "InvalidNumHiddenUnits", "Expected a positive integer, got -3.")
    ... except DLValueError as err:
    ...     print(err.identifier)
    dltoolbox:gruLayer:InvalidNumHiddenUnits
    """
    cls = DLTypeError if kind == "type" else DLValueError
    raise cls(f"dltoolbox:{func}:{mnemonic}", f"{func}: {message}")


def as_called_from(err, func):
    """``err`` rebuilt under the name of ``func``, the public function the user called (a
    layer's check does not know which one that was). Callers catch and re-raise with it;
    a plain ``try`` costs nothing on the closed-loop prediction path, a context manager
    1.6 us a call.

    >>> try:
    ...     try:
    ...         raise_error("gruLayer", "IncorrectNetworkState", "State for 4, batch of 3.")
    ...     except DLToolboxError as inner:
    ...         raise as_called_from(inner, "classify") from None
    ... except DLValueError as err:
    ...     print(err.identifier, "|", err)
    dltoolbox:classify:IncorrectNetworkState | classify: State for 4, batch of 3.
    """
    mnemonic = err.identifier.rsplit(":", 1)[-1]
    message = err.message.split(": ", 1)[-1]
    return type(err)(f"dltoolbox:{func}:{mnemonic}", f"{func}: {message}")


def named_arity(function, name=None):
    """``function`` wrapped so that a call with too few, too many or unknown arguments is
    ``dltoolbox:<name>:NotEnoughInputs`` / ``TooManyInputs`` / ``InvalidArgument`` (a
    DLTypeError) instead of Python's bare TypeError. Only the errors of the call itself
    are converted: those raised inside the function pass unchanged. A successful call
    costs one extra Python call.

    >>> def f(a, b):
    ...     return a + b
    >>> try:
    ...     named_arity(f)(1)
    ... except DLTypeError as err:
    ...     print(err.identifier)
    dltoolbox:f:NotEnoughInputs
    """
    name = name or function.__name__

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except TypeError as exc:
            if isinstance(exc, DLToolboxError) or exc.__traceback__.tb_next is not None:
                raise
            text = str(exc)
            mnemonic = ("NotEnoughInputs" if "missing" in text else
                        "TooManyInputs" if "positional argument" in text else
                        "InvalidArgument")
            import inspect
            try:
                sig = inspect.signature(function)
                if function.__name__ == "__init__":     # a class: drop 'self'
                    sig = sig.replace(parameters=list(sig.parameters.values())[1:])
                sig = f"{name}{sig}"
            except (TypeError, ValueError):
                sig = name
            detail = text.split("() ", 1)[-1]
            lead = {"NotEnoughInputs": "Not enough input arguments",
                    "TooManyInputs": "Too many input arguments"}.get(mnemonic,
                                                                      "Invalid argument")
            raise DLTypeError(f"dltoolbox:{name}:{mnemonic}",
                              f"{name}: {lead} ({detail}). Call it as {sig}.") from None

    return wrapper
