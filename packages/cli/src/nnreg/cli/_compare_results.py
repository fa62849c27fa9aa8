"""How ``nnreg compare`` reports each method: a table row and a JSON object."""

from ._json_numbers import finite_list, finite_or_none
from ._report import format_table


def result_json(r):
    return {
        "method": r.method,
        "optimizer": r.optimizer,
        "learning_rate": r.learning_rate,
        "fused": r.fused,
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


def failure_json(method, error, fused):
    return {
        "method": method,
        "optimizer": None,
        "learning_rate": None,
        "fused": fused and method != "keras",
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


def format_results(results, failures):
    header = (
        "method",
        "fused",
        "kernel",
        "train MSE",
        "val MSE",
        "first s",
        "steady s",
        "epochs/s",
    )
    rows = []
    for r in results:
        if r.diverged:
            train, val = "-", f"diverged at epoch {r.diverged_epoch}"
        else:
            train, val = f"{r.train_mse:.5f}", f"{r.val_mse:.5f}"
        rows.append(
            (
                r.method,
                "yes" if r.fused else "no",
                r.kernel or "n/a",
                train,
                val,
                f"{r.seconds_first:.2f}",
                f"{r.seconds_steady:.2f}",
                f"{len(r.train_loss) / r.seconds_steady:,.0f}",
            )
        )
    lines = format_table(header, rows)
    lines += [f"{method}: failed: {error}" for method, error in failures]
    return "\n".join(lines)
