"""``nnreg fit``: a tanh MLP regression of one CSV column on others, saved for ``predict``.

The defaults and the optimizer names are nnreg.core's ``REGRESSOR_DEFAULTS``, which loads
without jax. Every output path is checked before the data is read, and the model, report
and plot appear together once all are written, so bad input, a failed fit or a full disk
leaves existing files untouched.
"""

import argparse
import os
import sys

from nnreg.core import MAX_ENSEMBLE, WEIGHT_DECAY_CANDIDATES, writes_through
from nnreg.core import REGRESSOR_DEFAULTS as DEFAULTS

from . import _interrupts
from ._errors import UsageError
from ._flags import (
    add_cache_flag,
    add_fused_flag,
    add_quiet_flag,
    fraction,
    non_negative_int,
    positive_float,
    positive_int,
    seed,
    weight_decay,
)
from ._outputs_together import OutputsTogether
from ._report import check_distinct_files, check_output_path, to_standard_output


def _column_list(text):
    names = [name.strip() for name in text.split(",")]
    if not all(names):
        raise argparse.ArgumentTypeError(f"expected comma-separated column names, got {text!r}")
    if len(set(names)) != len(names):
        raise argparse.ArgumentTypeError(f"a column is named twice in {text!r}")
    return tuple(names)


def _widths(text):
    try:
        widths = tuple(int(w) for w in text.split(","))
    except ValueError:
        widths = ()
    if not widths or min(widths) < 1:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated positive layer widths such as 10,10,10, got {text!r}"
        )
    return widths


def _ensemble_size(text):
    try:
        value = positive_int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}") from None
    if value > MAX_ENSEMBLE:
        raise argparse.ArgumentTypeError(f"must be at most {MAX_ENSEMBLE}, got {value}")
    return value


def add_parser(commands):
    rates = ", ".join(f"{name} {rate}" for name, rate in DEFAULTS.learning_rates.items())
    fit = commands.add_parser(
        "fit",
        help="fit a tanh network to columns of your own CSV file",
        description="Fit a tanh MLP regression of one CSV column on others and save it as an "
        ".npz model file for `nnreg predict`. Inputs and target are standardised with the "
        "training rows' mean and std; the MSEs printed are in the target's own units.",
    )
    fit.add_argument("data", metavar="DATA.csv", help="CSV file with a header line")
    fit.add_argument(
        "--x", required=True, type=_column_list, metavar="COL[,COL...]", help="input column(s)"
    )
    fit.add_argument("--y", required=True, metavar="COL", help="target column")
    fit.add_argument("--out", required=True, metavar="MODEL.npz", help="model file to write")
    fit.add_argument(
        "--hidden",
        type=_widths,
        default=DEFAULTS.hidden,
        metavar="W[,W...]",
        help=f"hidden layer widths (default: {','.join(map(str, DEFAULTS.hidden))})",
    )
    fit.add_argument(
        "--optimizer",
        choices=DEFAULTS.optimizers,
        default=DEFAULTS.optimizer,
        help="full-batch update rule; gd and sgd take the same plain gradient steps "
        f"(default: {DEFAULTS.optimizer})",
    )
    fit.add_argument("--lr", type=positive_float, help=f"learning rate (default: {rates})")
    fit.add_argument(
        "--weight-decay",
        type=weight_decay,
        default=DEFAULTS.weight_decay,
        metavar="WD",
        help="L2 penalty on every parameter; 0 turns it off; auto trains the networks at each "
        f"of {', '.join(map(str, WEIGHT_DECAY_CANDIDATES))} and keeps the first unless a lower "
        f"decay is clearly better on the validation rows (default: {DEFAULTS.weight_decay})",
    )
    fit.add_argument(
        "--epochs",
        type=positive_int,
        default=DEFAULTS.epochs,
        help=f"most epochs to train (default: {DEFAULTS.epochs})",
    )
    fit.add_argument(
        "--val-fraction",
        type=fraction,
        default=DEFAULTS.val_fraction,
        metavar="F",
        help="share of rows held out, at random, for validation and early stopping "
        f"(default: {DEFAULTS.val_fraction})",
    )
    fit.add_argument(
        "--seed",
        type=seed,
        default=DEFAULTS.seed,
        help=f"seed of the split and the weights (default: {DEFAULTS.seed})",
    )
    fit.add_argument(
        "--patience",
        type=non_negative_int,
        default=DEFAULTS.patience,
        metavar="N",
        help="stop once the validation MSE has not improved for N epochs and keep the best "
        f"parameters; 0 trains all --epochs and keeps the last (default: {DEFAULTS.patience})",
    )
    fit.add_argument(
        "--ensemble",
        type=_ensemble_size,
        default=DEFAULTS.ensemble,
        metavar="K",
        help="networks trained from seeds --seed, --seed+1, ... as one program; predictions "
        "are their mean and their spread the model's uncertainty; 1 trains a single network "
        f"(default: {DEFAULTS.ensemble})",
    )
    fit.add_argument(
        "--no-linear",
        dest="linear",
        action="store_false",
        help="fit the networks alone, without the ridge plane they are added to",
    )
    add_fused_flag(fit)
    fit.add_argument("--json", metavar="PATH", help="write the fit report as JSON ('-': stdout)")
    fit.add_argument(
        "--plot",
        metavar="IMAGE",
        help="plot the data and the fitted curve with the 90%% prediction band (one input) or "
        "predicted against actual; PNG, or PDF or SVG for a name ending .pdf or .svg",
    )
    add_quiet_flag(fit)
    add_cache_flag(fit)
    fit.set_defaults(run=run)
    return fit


def image_format(path):
    """The format ``--plot path`` is written in, from its name: PNG unless it ends ``.pdf`` or
    ``.svg``; any other ending is refused, so a file's name never belies its contents. A
    special file (``/dev/stdout``, a FIFO) gets PNG whatever its name."""
    if writes_through(path):
        return "png"
    suffix = os.path.splitext(str(path))[1].lower()
    formats = {"": "png", ".png": "png", ".pdf": "pdf", ".svg": "svg"}
    if suffix not in formats:
        raise UsageError(
            f"--plot {path}: the plot is written as PNG, PDF or SVG; name it .png, .pdf or .svg"
        )
    return formats[suffix]


def run(args):
    if args.y in args.x:
        raise UsageError(f"--y {args.y} is also one of the --x columns")
    check_output_path(args.out, "--out")
    check_output_path(args.json, "--json")
    check_output_path(args.plot, "--plot")
    check_distinct_files(
        [("DATA", args.data)], [("--out", args.out), ("--json", args.json), ("--plot", args.plot)]
    )
    plot_format = args.plot and image_format(args.plot)

    from ._compile_cache import enable_cache_unless_disabled
    from ._fit_summary import report_json, summary
    from ._fusion import choose_fusion
    from ._progress import Progress
    from ._report import json_text

    enable_cache_unless_disabled(args)
    if args.ensemble > 1:
        from ._cpu_devices import split_host_cpu

        split_host_cpu(None)  # the networks are sharded over one JAX device per core

    import nnreg.core as core

    fusion = choose_fusion(args.fused, (len(args.x), *args.hidden, 1))
    model = core.Regressor(
        hidden=args.hidden,
        optimizer=args.optimizer,
        learning_rate=args.lr,
        weight_decay=args.weight_decay,
        epochs=args.epochs,
        val_fraction=args.val_fraction,
        seed=args.seed,
        patience=args.patience or None,
        layer=fusion.layer,
        forward=fusion.forward,
        ensemble=args.ensemble,
        linear=args.linear,
    )
    with _interrupts.raised_during():  # everything is loaded: Ctrl-C can stop at once
        data = core.read_csv_columns(args.data, [*args.x, args.y])
    x, y = data[:, :-1], data[:, -1]
    # Training runs on standardised data; 1.0 is the MSE of always predicting the mean.
    progress = Progress(quiet=args.quiet, loss_label="train MSE (standardised)")
    stage = f"fit {args.y} from {', '.join(args.x)}, compiling included"
    with progress.stage(stage) as report, _interrupts.raised_during():
        model.fit(x, y, x_columns=args.x, y_column=args.y, progress=report)
    # The model, the report and the plot appear together or not at all.
    with OutputsTogether() as outputs:
        if args.json:
            report = json_text(report_json(args, model, fusion)).encode()
            outputs.stage(args.json, report, flag="--json")
        if args.plot:
            from ._figures import save_figure
            from ._fit_plot import fit_figure

            figure = fit_figure(model, x, y)
            outputs.write(
                args.plot, lambda path: save_figure(figure, path, plot_format), flag="--plot"
            )
        outputs.write(args.out, model.save, flag="--out")
        _interrupts.checkpoint()  # the last moment to stop with nothing written
    # With an output on standard output (--json -, --out /dev/stdout), it carries that output
    # alone and the summary moves to stderr.
    on_stdout = any(map(to_standard_output, (args.out, args.json, args.plot)))
    print(summary(args, model, len(data), fusion), file=sys.stderr if on_stdout else sys.stdout)
    return 0
