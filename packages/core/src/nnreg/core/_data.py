"""The lecture's synthetic regression problem: y = sqrt(x) + sin(x) + 0.2 * noise."""

import numpy as np

# The lecture draws both its training and its "validation" data with this seed.
LECTURE_SEED = 1234
# nnreg's own default for validation data: noise independent of the training noise.
VALIDATION_SEED = 4321


def generate_data(x_min=0.0, x_max=5.0, data_size=400, seed=LECTURE_SEED):
    """Return ``(x, y)`` as float64 column vectors of shape ``(data_size, 1)``.

    The values are bit-identical to the lecture's, which seeds numpy's global legacy
    generator; a private ``RandomState`` gives the same stream without touching it.
    """
    if isinstance(data_size, bool) or not isinstance(data_size, (int, np.integer)):
        raise TypeError(f"data_size must be an integer, got {type(data_size).__name__}")
    if data_size < 1:
        raise ValueError(f"data_size must be at least 1, got {data_size}")
    if not (np.isfinite(x_min) and np.isfinite(x_max)):
        raise ValueError(f"x_min and x_max must be finite, got {x_min} and {x_max}")
    if x_min < 0:
        raise ValueError(f"x_min must be >= 0 because y involves sqrt(x), got {x_min}")
    if x_max < x_min:
        raise ValueError(f"x_max ({x_max}) must not be below x_min ({x_min})")
    rng = np.random.RandomState(seed)
    x = np.linspace(x_min, x_max, num=data_size)
    noise = 0.2 * rng.randn(data_size)
    y = x**0.5 + np.sin(x) + noise
    return x.reshape(data_size, 1), y.reshape(data_size, 1)
