"""The ``nnreg sweep`` figure: validation MSE of every member against its learning rate."""

import numpy as np

from ._figures import plt


def sweep_figure(result, title):
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
    return fig
