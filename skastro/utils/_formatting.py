"""Plain text of numbers for printed output."""

import numpy as np


def plain(value):
    """Text of a figure or id as a reader expects it: ``3``, not ``np.int64(3)``.

    NumPy scalars become Python numbers; lists, tuples, arrays and pandas
    indexes are written ``[a, b, ...]`` and dicts and Series ``{key: value, ...}``,
    their items formatted the same way. Sections use it wherever a value goes
    into printed text without a format spec.
    """
    if isinstance(value, np.generic):
        return str(value.item())
    if isinstance(value, dict) or hasattr(value, "items"):  # dict, pandas Series
        return "{" + ", ".join(f"{plain(k)}: {plain(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)) or hasattr(value, "tolist"):  # arrays, pandas Index
        return "[" + ", ".join(plain(v) for v in value) + "]"
    return str(value)
