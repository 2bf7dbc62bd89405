"""Gate and state activations, applied in place, with derivatives from the outputs.

Each derivative is expressed through the activation's output y, which is what the GRU
keeps for its backward pass:

=============  ==========================  ===========================
name           y = f(a)                    f'(a) from y
=============  ==========================  ===========================
sigmoid        1 / (1 + e^-a)              y (1 - y)
hard-sigmoid   clip(0.2 a + 0.5, 0, 1)     0.2 where 0 < y < 1, else 0
tanh           tanh(a)                     1 - y^2
softsign       a / (1 + |a|)               (1 - |y|)^2
=============  ==========================  ===========================
"""

from ..backend import get_xp


def sigmoid_(a):
    """sigma(a) = 0.5 tanh(a/2) + 0.5, in place: overflow-free in float32."""
    xp = get_xp(a)
    a *= 0.5
    xp.tanh(a, out=a)
    a *= 0.5
    a += 0.5
    return a


def hard_sigmoid_(a):
    xp = get_xp(a)
    a *= 0.2
    a += 0.5
    xp.clip(a, 0.0, 1.0, out=a)
    return a


def tanh_(a):
    return get_xp(a).tanh(a, out=a)


def softsign_(a):
    xp = get_xp(a)
    return xp.divide(a, xp.abs(a) + 1.0, out=a)


def d_sigmoid(y):
    return y * (1.0 - y)


def d_hard_sigmoid(y):
    m = ((y > 0.0) & (y < 1.0)).astype(y.dtype)
    m *= 0.2
    return m


def d_tanh(y):
    return 1.0 - y * y


def d_softsign(y):
    t = 1.0 - get_xp(y).abs(y)
    return t * t


ACTIVATIONS = {"sigmoid": (sigmoid_, d_sigmoid), "hard-sigmoid": (hard_sigmoid_, d_hard_sigmoid),
               "tanh": (tanh_, d_tanh), "softsign": (softsign_, d_softsign)}
