"""The tests of "an integer" and "a number" that argument checks across minin share."""

import numbers


def is_int(value):
    """Whether ``value`` is an integer, Python's or NumPy's, as PyTorch takes sizes; not a
    bool (``True`` is no channel count) and not a float, however round."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def is_number(value):
    """Whether ``value`` is a real number, Python's or NumPy's, and not a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)
