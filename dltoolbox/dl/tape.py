"""Reverse-mode automatic differentiation over a recorded tape (``dlfeval``/``dlgradient``).

While ``dlfeval`` runs a function, every operation on a dlarray appends one
:class:`Node` to the current :class:`Tape`: its parent nodes and a ``backward(g)`` that
returns one gradient per parent (None where a parent gets none). A layer operation is
one node whose backward is the layer's own hand-written ``backprop``. Outside
``dlfeval`` no tape is active and operations record nothing (one ``is None`` test).

An operation with several differentiable outputs (``lstm``'s Y, hiddenState and cellState)
is one node whose gradient is a :class:`Parts`, with one child node per output.

``dlgradient(y, x...)`` walks the nodes that ``y`` depends on in reverse creation order,
calling only the backwards on a path to a requested ``x``.
"""

from operator import attrgetter

from ..errors import raise_error

_SEQ = attrgetter("seq")
_CURRENT = [None]     # the active tape (a list so that nested dlfeval can restore it)


class Node:
    """One recorded operation (or a leaf: no parents, no backward)."""

    __slots__ = ("parents", "backward", "seq", "tape")

    def __init__(self, tape, parents, backward):
        self.parents = parents
        self.backward = backward
        self.tape = tape
        tape.count += 1
        self.seq = tape.count


class Tape:
    """The record of one ``dlfeval`` call: a node counter and the learnable arrays of
    networks used in it (raw arrays identified by ``id``, held so the ids stay valid)."""

    __slots__ = ("count", "by_id")

    def __init__(self):
        self.count = 0
        self.by_id = {}

    def leaf_for(self, array):
        """The leaf node of a raw learnable array (made on first use)."""
        hit = self.by_id.get(id(array))
        if hit is None:
            hit = self.by_id[id(array)] = (array, Node(self, (), None))
        return hit[1]

    def lookup(self, array):
        hit = self.by_id.get(id(array))
        return None if hit is None else hit[1]


class Parts:
    """The gradient of a node with several outputs (a recurrent op's Y and final
    states): one array or None per output, summed part by part. Each output is a child
    node whose backward hands its gradient on as the matching part."""

    __slots__ = ("parts",)

    def __init__(self, parts):
        self.parts = tuple(parts)

    @classmethod
    def one(cls, k, n, g):
        """Part ``k`` of ``n`` set to ``g``."""
        return cls(g if i == k else None for i in range(n))

    def __add__(self, other):
        return Parts(a if b is None else b if a is None else a + b
                     for a, b in zip(self.parts, other.parts))


def current():
    """The active tape, or None outside ``dlfeval``."""
    return _CURRENT[0]


def record(parents, backward):
    """A new node for an operation with parent nodes ``parents`` (None entries: constant
    inputs), or None when nothing is traced."""
    tape = _CURRENT[0]
    if tape is None or not any(p is not None for p in parents):
        return None
    return Node(tape, tuple(parents), backward)


def leaf():
    tape = _CURRENT[0]
    return None if tape is None else Node(tape, (), None)


def backpropagate(root, seed, targets):
    """Gradients of the root node (seeded with ``seed``) for each target node, a list of
    arrays (None for a target the root does not depend on)."""
    wanted = set(targets)
    # the nodes reachable from root, and which of them lead to a target
    order, seen, stack = [], {root}, [root]
    while stack:
        node = stack.pop()
        order.append(node)
        for p in node.parents:
            if p is not None and p not in seen:
                seen.add(p)
                stack.append(p)
    order.sort(key=_SEQ)
    useful = set()
    for node in order:                  # parents come before children in seq order
        if node in wanted:
            useful.add(node)
            continue
        for p in node.parents:
            if p in useful:             # (None never is)
                useful.add(node)
                break
    grads = {root: seed}
    for node in reversed(order):
        if node.backward is None or node not in useful:
            continue
        g = grads.pop(node, None) if node not in wanted else grads.get(node)
        if g is None:
            continue
        for p, pg in zip(node.parents, node.backward(g)):
            if pg is None or p not in useful:
                continue
            old = grads.get(p)
            grads[p] = pg if old is None else old + pg
    return [grads.get(t) for t in targets]


def not_in_dlfeval(func):
    raise_error(func, "NotInDlfeval",
                f"{func} must be called inside a function evaluated by dlfeval: "
                f"dlfeval(@modelLoss, ...) traces the computation that {func} differentiates.")
