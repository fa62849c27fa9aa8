"""Argument parsing and dispatch; kept free of jax and keras so that --help is instant."""

import argparse
import sys

METHODS = ("keras", "jax-gd", "optax-sgd", "optax-adam")
DEFAULT_OUT = "nnreg-results"


class CommandError(Exception):
    """A problem to report to the user in one line, without a traceback."""


def _method_list(text):
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in METHODS]
    if unknown or not names:
        given = ", ".join(unknown) or "(none given)"
        raise argparse.ArgumentTypeError(
            f"unknown method(s) {given}; choose from {', '.join(METHODS)}"
        )
    return tuple(dict.fromkeys(names))


def _positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value}")
    return value


def _positive_float(text):
    value = float(text)
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def build_parser():
    parser = argparse.ArgumentParser(
        prog="nnreg", description="Train, compare and accelerate small neural-network regressions."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    compare = commands.add_parser(
        "compare",
        help="run the lecture's Keras, JAX and Optax fits side by side",
        description="Fit y = sqrt(x) + sin(x) + 0.2*noise with the lecture's tanh network "
        "1-10-10-10-1 by Keras SGD, hand-written gradient descent, Optax SGD and Optax Adam, "
        "and report validation MSE, timings and plots. Defaults are the lecture's.",
    )
    compare.add_argument(
        "--methods",
        type=_method_list,
        default=METHODS,
        help=f"comma-separated subset of {','.join(METHODS)} (default: all)",
    )
    compare.add_argument(
        "--fused",
        action="store_true",
        help="use nnreg.kernels' fused dense+tanh for the JAX methods' hidden layers",
    )
    compare.add_argument("--epochs", type=_positive_int, default=4000, help="(default: 4000)")
    compare.add_argument(
        "--data-size", type=_positive_int, default=400, help="number of points (default: 400)"
    )
    compare.add_argument(
        "--lr",
        type=_positive_float,
        default=1e-3,
        help="learning rate of the JAX methods (default: 0.001); Keras keeps SGD's default, "
        "as in the lecture",
    )
    compare.add_argument(
        "--seed",
        type=int,
        default=1234,
        help="seed of the training data and weights (default: 1234)",
    )
    compare.add_argument(
        "--val-seed",
        type=int,
        default=None,
        help="seed of the validation noise (default: 4321, independent of --seed)",
    )
    compare.add_argument(
        "--lecture",
        action="store_true",
        help="reproduce the lecture exactly: validation data drawn with the training seed",
    )
    compare.add_argument(
        "--out", default=DEFAULT_OUT, help=f"folder for plots and results (default: {DEFAULT_OUT})"
    )
    compare.add_argument(
        "--json", metavar="PATH", help="write results as JSON to PATH ('-': stdout)"
    )
    compare.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    compare.add_argument("--quiet", action="store_true", help="no progress display")
    compare.add_argument(
        "--no-cache",
        action="store_true",
        help="disable JAX's persistent compilation cache (also: NNREG_NO_CACHE=1)",
    )
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "compare":
        if args.lecture and args.val_seed is not None and args.val_seed != args.seed:
            parser.error("--lecture draws validation data with --seed; drop --val-seed")
        from ._compare import run_compare_command

        try:
            return run_compare_command(args)
        except CommandError as err:
            print(f"nnreg: error: {err}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            print("nnreg: interrupted", file=sys.stderr)
            return 130
    parser.error(f"unknown command {args.command}")
    return 2
