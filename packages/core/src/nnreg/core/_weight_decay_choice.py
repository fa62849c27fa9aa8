"""``weight_decay="auto"``: the weight decay chosen on the validation rows, cautiously.

No one decay suits every data set. Measured on the development sets of
benchmarks/fit_quality.py, the former default 0.03 (chosen on nearly linear economic data) left a
curve such as the lecture's sqrt(x) + sin(x) over [0, 10] with 2-5 times the validation MSE
of no decay, while a lower decay for every data set fell far behind least squares on small
noisy ones (51 rows: 1.42 times its test MSE). So a fit trains its networks at each of
``CANDIDATES`` (in one program, from the same seeds) and keeps the first, the most
regularised, unless a lower decay's ensemble beats it on the validation rows by more than
``STANDARD_ERRORS`` standard errors of the rows' paired differences in squared error.

That guards against noise only roughly: two standard errors is a normal quantile, and with
few validation rows Student's t is wider (a move on noise alone: about 6% of comparisons with
5 rows, 3.4% with 13, against 2.3%); the same rows also chose each network's best epoch,
which favours the longer-running, less regularised candidates; and the interval's noise
estimate, the chosen ensemble's validation MSE, is then biased low (on the held-out ``nile``,
100 rows, coverage went from 0.85 to 0.81).
"""

import numpy as np

from ._defaults import WEIGHT_DECAY_CANDIDATES

CANDIDATES = WEIGHT_DECAY_CANDIDATES  # the most regularised first: kept without clear evidence

STANDARD_ERRORS = 2.0


def choose(squared_errors):
    """The index of the candidate to keep, from each one's squared errors on the same
    validation rows, ``(candidates, rows)``: 0 unless another beats it clearly, and then the
    one of those with the least mean."""
    squared_errors = np.asarray(squared_errors, np.float64)
    rows = squared_errors.shape[1]
    chosen = 0
    if rows < 2:  # no standard error to judge by
        return chosen
    for k in range(1, len(squared_errors)):
        gain = squared_errors[0] - squared_errors[k]
        standard_error = gain.std(ddof=1) / np.sqrt(rows)
        clear = gain.mean() > STANDARD_ERRORS * standard_error
        if clear and squared_errors[k].mean() < squared_errors[chosen].mean():
            chosen = k
    return chosen
