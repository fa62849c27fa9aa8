"""``nnreg fit`` and ``nnreg predict``: thin layers over ``nnreg.core.Regressor``.

Every output path is checked before the data is read, so bad input never leaves a partial
result behind; core's ValueErrors become one-line messages.
"""

import csv
import importlib.metadata
import io
import json
import math
import sys

from . import _outputs, _runtime
from ._args import CommandError
from ._progress import ProgressLine


def run_fit_command(args):
    _outputs.check_output_path(args.out, "--out")
    _outputs.check_output_path(args.json, "--json")
    _outputs.check_output_path(args.plot, "--plot")
    layer, kernel = _runtime.hidden_layer(args.fused)
    _runtime.enable_cache_unless_disabled(args)

    import nnreg.core as core

    columns = [*args.x, args.y]
    data = _read_columns(core, args.data, columns)
    model = core.Regressor(
        hidden=args.hidden,
        optimizer=args.optimizer,
        learning_rate=args.lr,
        weight_decay=args.weight_decay,
        epochs=args.epochs,
        val_fraction=args.val_fraction,
        seed=args.seed,
        patience=args.patience or None,
        layer=layer,
    )
    x, y = data[:, :-1], data[:, -1]
    progress = ProgressLine(not args.quiet and sys.stderr.isatty())
    try:
        model.fit(x, y, x_columns=args.x, y_column=args.y, progress=progress.reporter("fit"))
    except ValueError as err:
        raise CommandError(str(err)) from None
    finally:
        progress.clear()
    if args.json:
        document = json.dumps(_report_json(args, model, kernel), indent=2)
        _outputs.write_text(args.json, document + "\n")
    if args.plot:
        from . import _fit_plots

        _fit_plots.plot_fit(model, x, y, args.plot)
    # The model last: a fit that fails anywhere leaves an existing model file untouched.
    try:
        model.save(args.out)
    except OSError as err:
        raise CommandError(f"cannot write --out {args.out}: {err.strerror or err}") from None
    # With --json -, stdout carries the JSON alone and the summary moves to stderr.
    summary_stream = sys.stderr if args.json == "-" else sys.stdout
    print(_summary(args, model, len(data)), file=summary_stream)
    return 0


def run_predict_command(args):
    _outputs.check_output_path(args.out, "--out")
    import nnreg.core as core

    try:
        model = core.load_model(args.model)
    except OSError as err:
        raise CommandError(f"cannot read model {args.model}: {err.strerror or err}") from None
    except ValueError as err:
        raise CommandError(str(err)) from None
    x = _read_columns(core, args.data, model.x_columns_)
    prediction = model.predict(x)
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow([*model.x_columns_, f"{model.y_column_}_pred"])
    # repr gives the shortest text that reads back as the same float.
    rows = zip(x.tolist(), prediction.tolist(), strict=True)
    writer.writerows([*map(repr, inputs), repr(value)] for inputs, value in rows)
    _outputs.write_text(args.out or "-", text.getvalue())
    return 0


def _read_columns(core, path, columns):
    try:
        return core.read_csv_columns(path, columns)
    except OSError as err:
        raise CommandError(f"cannot read {path}: {err.strerror or err}") from None
    except ValueError as err:
        raise CommandError(str(err)) from None


def _summary(args, model, rows):
    report = model.report_
    sizes = "-".join(map(str, (len(args.x), *model.hidden, 1)))
    lines = [
        f"fit {args.y} from {', '.join(args.x)}: {rows} rows "
        f"({report.n_train} training, {report.n_val} validation)",
        f"network {sizes} tanh, {model.optimizer}, learning rate {model.learning_rate:g}, "
        f"weight decay {model.weight_decay:g}",
        f"epochs run: {report.epochs_run} ({report.stop_reason})",
        f"train MSE       {report.train_mse:.6g}  (RMSE {math.sqrt(report.train_mse):.4g})",
        f"validation MSE  {report.val_mse:.6g}  (RMSE {math.sqrt(report.val_mse):.4g})",
        f"model written to {args.out}",
    ]
    return "\n".join(lines)


def _report_json(args, model, kernel):
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
            "fused": args.fused,
        },
        "kernel": kernel,
        "rows": {"train": report.n_train, "validation": report.n_val},
        "train_mse": report.train_mse,
        "val_mse": report.val_mse,
        "epochs_run": report.epochs_run,
        "best_epoch": report.best_epoch,
        "stopped_early": report.stopped_early,
        "stop_reason": report.stop_reason,
        "seconds": report.seconds,
        "nnreg_version": importlib.metadata.version("nnreg-core"),
        "environment": _runtime.environment_info(),
        "train_loss": [_runtime.finite_or_none(v) for v in report.train_loss.tolist()],
        "val_loss": [_runtime.finite_or_none(v) for v in report.val_loss.tolist()],
    }
