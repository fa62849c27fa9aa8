"""The two figures of the lecture, drawn headless: loss curves and fitted curves."""

import matplotlib

matplotlib.use("Agg")  # no display needed; must precede pyplot's import

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from nnreg.core._atomic import write_atomically  # noqa: E402

from ._args import CommandError  # noqa: E402

# Gradient descent and Optax SGD trace the same curve; line styles keep both visible.
LINE_STYLES = ("-", "--", "-.", ":")


def plot_validation_loss(results, path):
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for i, result in enumerate(results):
        epochs = np.arange(1, len(result.val_loss) + 1)
        ax.plot(epochs, result.val_loss, LINE_STYLES[i % 4], linewidth=2, label=_label(result))
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("validation MSE")
    ax.set_title("Validation loss per epoch")
    ax.legend()
    save_figure(fig, path)


def plot_fits(results, x, y, path):
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
    save_figure(fig, path)


def _label(result):
    suffix = f" (fused, {result.kernel})" if result.fused else ""
    return f"{result.method}{suffix}: val MSE {result.val_mse:.4f}"


def save_figure(fig, path):
    """Write ``fig`` as a PNG that appears whole or not at all, and free it."""
    fig.tight_layout()
    try:
        write_atomically(path, lambda file: fig.savefig(file, format="png", dpi=110))
    except OSError as err:
        raise CommandError(f"cannot write {path}: {err.strerror or err}") from None
    finally:
        plt.close(fig)


def plot_sweep(result, path, title):
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ok = ~result.diverged
    ax.scatter(
        result.learning_rates[ok], result.final_val_loss[ok], s=14, alpha=0.6, label="member"
    )
    rates = np.unique(result.learning_rates[ok])
    means = [np.mean(result.final_val_loss[(result.learning_rates == lr) & ok]) for lr in rates]
    ax.plot(rates, means, "-o", color="black", label="mean over seeds")
    ax.set_xscale("log")
    ax.set_xlabel("learning rate")
    ax.set_ylabel("validation MSE")
    ax.set_title(f"Sweep: {title}")
    ax.legend()
    save_figure(fig, path)
