"""The ridge plane that a fit's networks are added to.

A narrow tanh network under weight decay cannot represent a large linear trend exactly, so a
fit first fits a plane to its training rows and the networks learn what the plane leaves: the
model contains the linear baseline. Not to the validation rows: fitted to them too, the plane
made the validation MSE an in-sample error, and early stopping and the prediction interval's
noise estimate both rely on it (12 inputs, 40 rows: 0.68 on the validation rows where new rows
gave 1.47, and 73% of new rows inside a 90% interval).

The plane is ridge regression whose penalty is chosen by generalised cross-validation (Golub,
Heath and Wahba, 1979), in closed form over the inputs' singular values. On nearly linear data
the chosen penalty is about 0, ordinary least squares; where the inputs are many for the
rows, shrinking predicts new rows better than least squares (scikit-learn's ``diabetes``: 10
inputs, 331 rows). Inputs arrive standardised, so one penalty suits every input.
"""

import numpy as np

# Candidate penalties, per row: 0 (least squares) and a log grid up to a penalty that leaves
# practically no plane, which GCV picks when the inputs explain nothing.
PENALTIES_PER_ROW = np.concatenate([[0.0], np.geomspace(1e-4, 1e4, 81)])


def ridge_plane(x, y):
    """``(weights (n_inputs,), bias)`` of the ridge fit of ``y (rows, 1)`` on ``x``: the bias
    is not penalised, the penalty is the candidate with the least GCV score among those that
    leave the fit at most half the rows as effective parameters (with about as many inputs as
    rows, GCV alone would pick a penalty small enough to interpolate every row)."""
    rows = len(x)
    x_mean, y_mean = x.mean(axis=0), float(y[:, 0].mean())
    u, s, vt = np.linalg.svd(x - x_mean, full_matrices=False)
    spanned = s > s.max(initial=0.0) * 1e-10  # directions the inputs actually vary in
    u, s, vt = u[:, spanned], s[spanned], vt[spanned]
    centred = y[:, 0] - y_mean
    along = u.T @ centred
    unexplained = max(centred @ centred - along @ along, 0.0)  # left by any plane
    best_score, best_shrink = np.inf, np.zeros_like(s)
    for penalty in PENALTIES_PER_ROW * rows:
        shrink = s**2 / (s**2 + penalty)
        freedom = shrink.sum() + 1  # the fit's effective parameters, the bias included
        if freedom > rows / 2:
            continue
        residual = unexplained + np.sum(((1 - shrink) * along) ** 2)
        score = residual / (rows - freedom) ** 2
        if score < best_score:
            best_score, best_shrink = score, shrink
    weights = vt.T @ (best_shrink / s * along)
    return weights, y_mean - float(x_mean @ weights)


def linear_prediction(x, weights, bias):
    """``(rows, 1)``: the plane at the rows of ``x``; zero without a linear part."""
    if weights is None:
        return np.zeros((len(x), 1))
    return (x @ weights + bias)[:, None]
