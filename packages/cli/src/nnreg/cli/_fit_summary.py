"""How ``nnreg fit`` reports a fit: a summary in the target's units, and a JSON document."""

import math

import numpy as np

import nnreg.core as core

from ._environment import jax_environment
from ._json_numbers import finite_list

EACH_SHOWN_UP_TO = 16  # networks whose validation MSEs the summary lists one by one


def summary(args, model, rows, fusion):
    report = model.report_
    sizes = "-".join(map(str, (len(args.x), *model.hidden, 1)))
    lines = [
        f"fit {args.y} from {', '.join(args.x)}: {rows} rows "
        f"({report.n_train} training, {report.n_val} validation)",
        f"network {sizes} tanh, {model.optimizer}, learning rate {model.learning_rate:g}, "
        f"weight decay {_weight_decay(model)}, fusion {fusion.kind or 'none'}, "
        f"kernel {fusion.kernel}",
        f"{_model_kind(model)}",
        f"epochs run: {report.epochs_run} ({report.stop_reason})",
        f"train MSE       {report.train_mse:.6g}  (RMSE {math.sqrt(report.train_mse):.4g})",
        f"validation MSE  {report.val_mse:.6g}  (RMSE {math.sqrt(report.val_mse):.4g})",
    ]
    if 1 < len(report.member_val_mse) <= EACH_SHOWN_UP_TO:
        each = ", ".join(f"{mse:.4g}" for mse in report.member_val_mse)
        lines.append(f"validation MSE of each network: {each}")
    elif len(report.member_val_mse) > EACH_SHOWN_UP_TO:  # one line, not a screenful
        low, middle, high = np.percentile(report.member_val_mse, [0, 50, 100])
        lines.append(
            f"validation MSE of the {len(report.member_val_mse)} networks: lowest {low:.4g}, "
            f"median {middle:.4g}, highest {high:.4g} (each in --json)"
        )
    lines.append(f"model written to {args.out}")
    return "\n".join(lines)


def _model_kind(model):
    networks = "one network" if model.ensemble == 1 else f"the mean of {model.ensemble} networks"
    plane = " added to the ridge plane" if model.linear else ""
    return f"model: {networks}{plane}"


def _weight_decay(model):
    """The weight decay the networks trained with; with ``auto``, how it was chosen."""
    report = model.report_
    if not report.weight_decay_val_mse:
        return f"{report.weight_decay:g}"
    each = ", ".join(f"{mse:.4g} at {decay:g}" for decay, mse in report.weight_decay_val_mse)
    return f"{report.weight_decay:g} (auto; validation MSE {each})"


def report_json(args, model, fusion):
    report = model.report_
    return {
        "data": args.data,
        "x_columns": list(args.x),
        "y_column": args.y,
        "model": args.out,
        "config": {
            "hidden": list(model.hidden),
            "optimizer": model.optimizer,
            "learning_rate": model.learning_rate,
            "weight_decay": model.weight_decay,
            "epochs": model.epochs,
            "val_fraction": model.val_fraction,
            "seed": model.seed,
            "patience": model.patience,
            "ensemble": model.ensemble,
            "linear": model.linear,
            "fused": args.fused,
        },
        "fusion": fusion.kind,
        "kernel": fusion.kernel,
        "rows": {"train": report.n_train, "validation": report.n_val},
        "train_mse": report.train_mse,
        "val_mse": report.val_mse,
        "member_val_mse": list(report.member_val_mse),
        "weight_decay": report.weight_decay,
        "weight_decay_val_mse": [list(pair) for pair in report.weight_decay_val_mse],
        "epochs_run": report.epochs_run,
        "best_epoch": report.best_epoch,
        "stopped_early": report.stopped_early,
        "stop_reason": report.stop_reason,
        "seconds": report.seconds,
        "nnreg_version": core.__version__,
        "environment": jax_environment(),
        "train_loss": finite_list(report.train_loss.tolist()),
        "val_loss": finite_list(report.val_loss.tolist()),
    }
