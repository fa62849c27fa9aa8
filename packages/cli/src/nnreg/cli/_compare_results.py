"""How ``nnreg compare`` reports each method: a table row and a JSON object."""

from ._json_numbers import finite_list, finite_or_none
from ._report import format_table


def result_json(r):
    return {
        "method": r.method,
        "optimizer": r.optimizer,
        "learning_rate": r.learning_rate,
        "fused": r.fusion is not None,
        "fusion": r.fusion,
        "kernel": r.kernel,
        "train_mse": finite_or_none(r.train_mse),
        "val_mse": finite_or_none(r.val_mse),
        "seconds_first": r.seconds_first,
        "seconds_steady": r.seconds_steady,
        "diverged": r.diverged,
        "diverged_epoch": r.diverged_epoch if r.diverged else None,
        "error": None,
        "train_loss": finite_list(r.train_loss),
        "val_loss": finite_list(r.val_loss),
    }


def failure_json(method, error, fusion):
    return {
        "method": method,
        "optimizer": None,
        "learning_rate": None,
        "fused": fusion.fused and method != "keras",
        "fusion": fusion.kind if method != "keras" else None,
        "kernel": None,
        "train_mse": None,
        "val_mse": None,
        "seconds_first": None,
        "seconds_steady": None,
        "diverged": False,
        "diverged_epoch": None,
        "error": error,
        "train_loss": [],
        "val_loss": [],
    }


def format_results(results, failures, *, repeat):
    timing = ("first s", "steady s") if repeat else ("seconds",)
    header = (
        "method", "optimizer", "learning rate", "fusion", "kernel", "train MSE", "val MSE",
        *timing, "epochs/s",
    )  # fmt: skip
    rows = []
    for r in results:
        if r.diverged:
            train, val = "-", f"diverged at epoch {r.diverged_epoch}"
        else:
            train, val = f"{r.train_mse:.5f}", f"{r.val_mse:.5f}"
        seconds = (r.seconds_first, r.seconds_steady) if repeat else (r.seconds_first,)
        rows.append(
            (
                r.method,
                r.optimizer,
                f"{r.learning_rate:g}",
                r.fusion or "none",
                r.kernel or "n/a",
                train,
                val,
                *(f"{s:.2f}" for s in seconds),
                f"{len(r.train_loss) / seconds[-1]:,.0f}",
            )
        )
    lines = format_table(header, rows)
    lines += [f"{method}: failed: {error}" for method, error in failures]
    if repeat:
        lines.append("first s: compiling included; steady s and epochs/s: the repeated run")
    else:
        lines.append("seconds: one run per method, compiling included (--repeat: steady time)")
    return "\n".join(lines)
