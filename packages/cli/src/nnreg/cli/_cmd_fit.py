"""The ``nnreg fit`` and ``nnreg predict`` command lines; the work is in _fit, imported on use."""

import argparse

from ._args import add_cache_flag, positive_float, positive_int, seed

# nnreg.core.Regressor's defaults, repeated here because importing nnreg.core loads jax and
# --help must stay instant; a test checks that they agree.
DEFAULT_HIDDEN = (10, 10, 10)
DEFAULT_LEARNING_RATES = {"gd": 0.1, "sgd": 0.1, "adam": 0.01}
DEFAULT_WEIGHT_DECAY = 0.03
DEFAULT_EPOCHS = 5000
DEFAULT_VAL_FRACTION = 0.2
DEFAULT_PATIENCE = 200


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


def _fraction(text):
    value = float(text)
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1 (exclusive), got {text}")
    return value


def _non_negative_float(text):
    value = float(text)
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be zero or a positive number, got {text}")
    return value


def _non_negative_int(text):
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be zero or a positive integer, got {value}")
    return value


def add_parser(commands):
    _add_fit_parser(commands)
    _add_predict_parser(commands)


def _add_fit_parser(commands):
    rates = ", ".join(f"{name} {rate}" for name, rate in DEFAULT_LEARNING_RATES.items())
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
        default=DEFAULT_HIDDEN,
        metavar="W[,W...]",
        help="hidden layer widths (default: 10,10,10)",
    )
    fit.add_argument(
        "--optimizer",
        choices=tuple(DEFAULT_LEARNING_RATES),
        default="adam",
        help="full-batch update rule; gd and sgd take the same plain gradient steps "
        "(default: adam)",
    )
    fit.add_argument("--lr", type=positive_float, help=f"learning rate (default: {rates})")
    fit.add_argument(
        "--weight-decay",
        type=_non_negative_float,
        default=DEFAULT_WEIGHT_DECAY,
        metavar="WD",
        help=f"L2 penalty on every parameter; 0 turns it off (default: {DEFAULT_WEIGHT_DECAY})",
    )
    fit.add_argument(
        "--epochs",
        type=positive_int,
        default=DEFAULT_EPOCHS,
        help=f"most epochs to train (default: {DEFAULT_EPOCHS})",
    )
    fit.add_argument(
        "--val-fraction",
        type=_fraction,
        default=DEFAULT_VAL_FRACTION,
        metavar="F",
        help="share of rows held out, at random, for validation and early stopping "
        f"(default: {DEFAULT_VAL_FRACTION})",
    )
    fit.add_argument(
        "--seed", type=seed, default=0, help="seed of the split and the weights (default: 0)"
    )
    fit.add_argument(
        "--patience",
        type=_non_negative_int,
        default=DEFAULT_PATIENCE,
        metavar="N",
        help="stop once the validation MSE has not improved for N epochs and keep the best "
        f"parameters; 0 trains all --epochs and keeps the last (default: {DEFAULT_PATIENCE})",
    )
    fit.add_argument(
        "--fused",
        action="store_true",
        help="use nnreg.kernels' fused dense+tanh for the hidden layers",
    )
    fit.add_argument("--json", metavar="PATH", help="write the fit report as JSON ('-': stdout)")
    fit.add_argument(
        "--plot",
        metavar="PNG",
        help="plot the data and the fitted curve (one input) or predicted against actual",
    )
    fit.add_argument("--quiet", action="store_true", help="no progress display")
    add_cache_flag(fit)
    fit.set_defaults(run=_run_fit, parser=fit)


def _add_predict_parser(commands):
    predict = commands.add_parser(
        "predict",
        help="predict with a model file from `nnreg fit`",
        description="Read the model's input columns from a CSV file and write them with a "
        "prediction column named after the target (e.g. foodexp_pred), in its own units.",
    )
    predict.add_argument("model", metavar="MODEL.npz", help="model file written by `nnreg fit`")
    predict.add_argument("data", metavar="DATA.csv", help="CSV file with the model's inputs")
    predict.add_argument(
        "--out", metavar="PRED.csv", help="file to write (default: standard output)"
    )
    predict.set_defaults(run=_run_predict, parser=predict)


def _run_fit(args):
    if args.y in args.x:
        args.parser.error(f"--y {args.y} is also one of the --x columns")
    from ._fit import run_fit_command

    return run_fit_command(args)


def _run_predict(args):
    from ._fit import run_predict_command

    return run_predict_command(args)
