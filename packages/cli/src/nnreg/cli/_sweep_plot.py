"""The ``nnreg sweep`` figure: validation MSE of every member against its learning rate.

The y-axis starts at zero, so that differences between learning rates look as large as they
are relative to the error itself; each rate's mean and spread are written beside its
members. Every learning rate has its tick and label, with its diverged members counted there
(they have no MSE to draw).
"""

import numpy as np
from matplotlib.ticker import NullLocator

from ._figures import plt


def sweep_figure(result, title):
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ok = ~result.diverged
    rates = np.unique(result.learning_rates)
    # Wide dashes, so that members close together in MSE stay visible as a stack.
    ax.scatter(result.learning_rates[ok], result.final_val_loss[ok], marker="_", s=200,
               alpha=0.7, zorder=3, label="member (one seed)")  # fmt: skip
    finite_rates, means = [], []
    for lr in rates:
        values = result.final_val_loss[(result.learning_rates == lr) & ok]
        if values.size:
            finite_rates.append(lr)
            means.append(values.mean())
            spread = f"mean {values.mean():.5f}\nstd {values.std():.5f}"
            ax.annotate(spread, (lr, values.max()), xytext=(0, 6), textcoords="offset points",
                        ha="center", va="bottom", fontsize="small")  # fmt: skip
    if finite_rates:
        ax.plot(finite_rates, means, "-o", color="black", markersize=4, label="mean over seeds")
    ax.set_xscale("log")
    ax.set_xticks(rates, [_tick_label(result, lr) for lr in rates])
    ax.xaxis.set_minor_locator(NullLocator())
    margin = 1.5 if len(rates) > 1 else 3.0
    ax.set_xlim(rates.min() / margin, rates.max() * margin)
    top = np.max(result.final_val_loss[ok]) if ok.any() else 1.0
    ax.set_ylim(0, top * 1.3)
    ax.set_xlabel("learning rate")
    ax.set_ylabel("validation MSE (axis from 0)")
    ax.set_title(f"Sweep: {title}")
    if ok.any():
        ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


def _tick_label(result, lr):
    members = result.learning_rates == lr
    diverged = int((members & result.diverged).sum())
    if not diverged:
        return f"{lr:g}"
    count = f"all {diverged}" if diverged == members.sum() else str(diverged)
    return f"{lr:g}\n({count} diverged)"
