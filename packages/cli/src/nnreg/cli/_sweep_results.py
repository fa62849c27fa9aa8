"""How ``nnreg sweep`` reports: a summary per learning rate and one JSON object per member."""

import numpy as np

from ._json_numbers import finite_or_none
from ._report import format_table


def member_json(result, optimizer):
    return [
        {
            "seed": int(s),
            "optimizer": optimizer,
            "learning_rate": float(lr),
            "val_mse": finite_or_none(v),
            "train_mse": finite_or_none(t),
            "diverged": bool(d),
        }
        for s, lr, v, t, d in zip(
            result.seeds,
            result.learning_rates,
            result.final_val_loss,
            result.final_train_loss,
            result.diverged,
            strict=True,
        )
    ]


def format_summary(result, learning_rates, seconds, fusion):
    header = ("learning rate", "members", "val MSE mean", "std", "min", "max", "diverged")
    rows = []
    for lr in learning_rates:
        members = result.learning_rates == lr
        ok = members & ~result.diverged
        values = result.final_val_loss[ok]
        stats = (
            [f"{f(values):.5f}" for f in (np.mean, np.std, np.min, np.max)]
            if values.size
            else ["-"] * 4
        )
        diverged = str(int((members & result.diverged).sum()))
        rows.append((f"{lr:g}", str(int(members.sum())), *stats, diverged))
    lines = format_table(header, rows)
    lines.append(
        f"{len(result.seeds)} members on {result.devices} device(s) in {seconds:.2f} s "
        f"(compilation included); fusion {fusion.kind or 'none'}, kernel {fusion.kernel}"
    )
    return "\n".join(lines)
