"""The lecture's two figures for ``nnreg compare``: loss per epoch and the fitted curves.

Each figure is built by its own function, so that tests can read its legend.
"""

import numpy as np

from ._figures import plt

# Gradient descent and Optax SGD trace the same curve; line styles keep both visible.
LINE_STYLES = ("-", "--", "-.", ":")


def validation_loss_figure(results):
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for i, result in enumerate(results):
        epochs = np.arange(1, len(result.val_loss) + 1)
        ax.plot(epochs, result.val_loss, LINE_STYLES[i % 4], linewidth=2, label=_label(result))
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("validation MSE")
    ax.set_title("Validation loss per epoch")
    ax.legend()
    return fig


def fits_figure(results, x, y):
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.scatter(x.ravel(), y.ravel(), s=8, color="0.6", label="training data")
    for i, result in enumerate(results):
        ax.plot(
            x.ravel(),
            result.prediction.ravel(),
            LINE_STYLES[i % 4],
            linewidth=2,
            label=_label(result),
        )
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title("Fitted models")
    ax.legend()
    return fig


def _label(result):
    suffix = f" (fused, {result.kernel})" if result.fused else ""
    return f"{result.method}{suffix}: val MSE {result.val_mse:.4f}"
