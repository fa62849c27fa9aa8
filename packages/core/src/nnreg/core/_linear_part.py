"""The least-squares plane that a fit's networks are added to.

A narrow tanh network under weight decay cannot represent a large linear trend exactly, so a
fit first solves ordinary least squares on every row it is given (a plane has too few
parameters to overfit the validation rows, and on small data sets those rows matter) and the
networks learn what the plane leaves: the model contains the linear baseline, and weight
decay pulls it towards that baseline rather than towards a constant.
"""

import numpy as np


def least_squares(x, y):
    """``(weights (n_inputs,), bias)`` of the least-squares fit of ``y (rows, 1)`` on ``x``."""
    design = np.column_stack([x, np.ones(len(x))])
    coefficients, *_ = np.linalg.lstsq(design, y[:, 0], rcond=None)
    return coefficients[:-1], float(coefficients[-1])


def linear_prediction(x, weights, bias):
    """``(rows, 1)``: the plane at the rows of ``x``; zero without a linear part."""
    if weights is None:
        return np.zeros((len(x), 1))
    return (x @ weights + bias)[:, None]
