"""Numbers for JSON, which has no NaN or infinity: a diverged loss becomes null."""

import math


def finite_or_none(value):
    value = float(value)
    return value if math.isfinite(value) else None


def finite_list(values):
    return [finite_or_none(v) for v in values]
