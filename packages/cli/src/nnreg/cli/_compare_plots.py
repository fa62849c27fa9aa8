"""The lecture's two figures for ``nnreg compare``: loss per epoch and the fitted curves.

Every legend entry names the method's update rule and learning rate; a run with nothing to
draw (a diverged fit, a loss that was never finite) gets no empty legend entry but a note
under the axes saying why it is missing. Each figure is built by its own function, so that
tests can read its legend.
"""

import numpy as np

from ._figures import plt

# Gradient descent and Optax SGD trace the same curve; line styles keep both visible.
LINE_STYLES = ("-", "--", "-.", ":")


def validation_loss_figure(results):
    fig, ax = plt.subplots(figsize=(7, 4.5))
    drawn, missing = [], []
    for i, result in enumerate(results):
        if np.isfinite(result.val_loss).any():
            epochs = np.arange(1, len(result.val_loss) + 1)
            ax.plot(epochs, result.val_loss, **_style(i), label=label(result))
            drawn.append(result)
        else:
            missing.append(result)
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("validation MSE")
    ax.set_title("Validation loss per epoch")
    _finish(fig, ax, drawn, missing)
    return fig


def fits_figure(results, x, y):
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.scatter(x.ravel(), y.ravel(), s=8, color="0.6", label="training data")
    drawn, missing = [], []
    for i, result in enumerate(results):
        if result.diverged:  # its parameters are no longer numbers: no curve to draw
            missing.append(result)
            continue
        ax.plot(x.ravel(), result.prediction.ravel(), **_style(i), label=label(result))
        drawn.append(result)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title("Fitted models")
    _finish(fig, ax, drawn, missing)
    return fig


def _style(i):
    """The i-th method's line, the same in both figures whichever runs are missing."""
    return {"linestyle": LINE_STYLES[i % 4], "color": f"C{i}", "linewidth": 2}


def label(result):
    fused = f", fused {result.fusion}, {result.kernel}" if result.fusion else ""
    outcome = (
        f"diverged at epoch {result.diverged_epoch}"
        if result.diverged
        else f"val MSE {result.val_mse:.4f}"
    )
    return f"{result.method} ({result.optimizer}, lr {result.learning_rate:g}{fused}): {outcome}"


def _finish(fig, ax, drawn, missing):
    if drawn or ax.collections:
        ax.legend(fontsize="small")
    if missing:
        note = "not drawn: " + "; ".join(label(result) for result in missing)
        fig.text(0.01, 0.01, note, fontsize="small", color="tab:red", wrap=True)
    fig.tight_layout(rect=(0, 0.06 if missing else 0, 1, 1))
