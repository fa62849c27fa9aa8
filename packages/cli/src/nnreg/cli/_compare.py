"""``nnreg compare``: the lecture's four methods on the same data, reported side by side."""

import json
import sys

from . import _outputs, _runtime
from ._methods import KERAS_DEFAULT_SGD_LEARNING_RATE, Problem, run_jax_method, run_keras
from ._progress import ProgressLine
from ._table import format_table


def run_compare_command(args):
    out = _outputs.prepare_out_dir(args.out)
    _outputs.check_output_path(args.json, "--json")
    config = _config(args)

    layer, kernel = _runtime.hidden_layer(args.fused)
    cache = _runtime.enable_cache_unless_disabled(args)
    config["compilation_cache"] = str(cache) if cache else None

    import nnreg.core as core

    x, y = core.generate_data(data_size=config["data_size"], seed=config["seed"])
    x_val, y_val = core.generate_data(data_size=config["data_size"], seed=config["val_seed"])
    problem = Problem(x, y, x_val, y_val, config["seed"], config["epochs"], config["learning_rate"])

    # With --json -, stdout carries the JSON alone and the table moves to stderr.
    table_stream = sys.stderr if args.json == "-" else sys.stdout
    progress = ProgressLine(not args.quiet and sys.stdout.isatty() and sys.stderr.isatty())
    results, failures = [], []
    for method in config["methods"]:
        try:
            if method == "keras":
                results.append(run_keras(problem, progress=progress.reporter(method)))
            else:
                results.append(
                    run_jax_method(
                        method,
                        problem,
                        fused=args.fused,
                        layer=layer,
                        kernel=kernel,
                        progress=progress.reporter(method),
                    )
                )
        except Exception as err:  # one broken method must not hide the others' results
            failures.append((method, f"{type(err).__name__}: {err}"))
        finally:
            progress.clear()

    print(format_results(results, failures), file=table_stream)
    document = json.dumps(
        {
            "config": config,
            "environment": _runtime.environment_info(),
            "results": [_result_json(r) for r in results]
            + [_failure_json(m, e, args.fused) for m, e in failures],
        },
        indent=2,
    )
    _outputs.write_text(str(out / "results.json"), document + "\n")
    if args.json:
        _outputs.write_text(args.json, document + "\n")
    if not args.no_plots and results:
        from . import _plots

        _plots.plot_validation_loss(results, out / "validation_loss.png")
        _plots.plot_fits(results, x, y, out / "fits.png")
    print(f"results in {out}/", file=table_stream)
    succeeded = [r for r in results if not r.diverged]
    return 0 if succeeded else 1


def _config(args):
    import nnreg.core as core

    if args.lecture:
        val_seed = args.seed
    else:
        val_seed = core.VALIDATION_SEED if args.val_seed is None else args.val_seed
    return {
        "methods": list(args.methods),
        "fused": args.fused,
        "epochs": args.epochs,
        "data_size": args.data_size,
        "learning_rate": args.lr,
        "keras_learning_rate": KERAS_DEFAULT_SGD_LEARNING_RATE,
        "seed": args.seed,
        "val_seed": val_seed,
        "lecture": args.lecture,
        "layer_sizes": list(core.LECTURE_LAYER_SIZES),
        "out": args.out,
    }


def _losses(values):
    return [_runtime.finite_or_none(v) for v in values]


def _result_json(r):
    return {
        "method": r.method,
        "fused": r.fused,
        "kernel": r.kernel,
        "train_mse": _runtime.finite_or_none(r.train_mse),
        "val_mse": _runtime.finite_or_none(r.val_mse),
        "seconds_first": r.seconds_first,
        "seconds_steady": r.seconds_steady,
        "diverged": r.diverged,
        "diverged_epoch": r.diverged_epoch,
        "error": None,
        "train_loss": _losses(r.train_loss),
        "val_loss": _losses(r.val_loss),
    }


def _failure_json(method, error, fused):
    return {
        "method": method,
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
