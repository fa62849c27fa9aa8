"""The ``nnreg fit --plot`` figure: the fitted curve for one input, else predicted vs actual."""

import numpy as np

from ._figures import plt

BAND_LEVEL = 0.9


def fit_figure(model, x, y):
    report = model.report_
    is_val = np.zeros(len(y), bool)
    is_val[report.val_rows] = True
    fig, ax = plt.subplots(figsize=(7, 4.5))
    if x.shape[1] == 1:
        _curve(ax, model, x[:, 0], y, is_val)
    else:
        _predicted_vs_actual(ax, model, x, y, is_val)
    ax.set_title(
        f"nnreg fit of {model.y_column_}: train MSE {report.train_mse:.5g}, "
        f"validation MSE {report.val_mse:.5g}"
    )
    ax.legend()
    fig.tight_layout()
    return fig


def _curve(ax, model, x, y, is_val):
    # A power of two, as the evaluation pads rows to one: a fit of 129 to 256 rows shares its
    # compiled evaluation with its curve (400 points compiled another, 0.1 s).
    grid = np.linspace(x.min(), x.max(), 256)
    curve, spread = model.predict(grid[:, None], return_std=True)
    lower, upper = model.interval_around(curve, spread, BAND_LEVEL)
    ax.fill_between(
        grid, lower, upper, color="tab:blue", alpha=0.15, linewidth=0,
        label=f"{BAND_LEVEL:.0%} prediction interval",
    )  # fmt: skip
    ax.scatter(x[~is_val], y[~is_val], s=10, color="0.55", label="training rows")
    ax.scatter(x[is_val], y[is_val], s=14, color="tab:orange", label="validation rows")
    ax.plot(grid, curve, color="tab:blue", linewidth=2, label="fitted curve")
    ax.set_xlabel(model.x_columns_[0])
    ax.set_ylabel(model.y_column_)


def _predicted_vs_actual(ax, model, x, y, is_val):
    predicted = model.predict(x)
    ax.scatter(y[~is_val], predicted[~is_val], s=10, color="0.55", label="training rows")
    ax.scatter(y[is_val], predicted[is_val], s=14, color="tab:orange", label="validation rows")
    low, high = min(y.min(), predicted.min()), max(y.max(), predicted.max())
    ax.plot([low, high], [low, high], color="tab:blue", linewidth=1, label="perfect prediction")
    ax.set_xlabel(f"actual {model.y_column_}")
    ax.set_ylabel(f"predicted {model.y_column_}")
