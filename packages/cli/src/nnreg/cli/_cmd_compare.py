"""The ``nnreg compare`` command line; the work itself is in _compare, imported on use."""

import argparse

from ._args import add_output_flags, add_problem_flags, positive_float

METHODS = ("keras", "jax-gd", "optax-sgd", "optax-adam")


def _method_list(text):
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in METHODS]
    if unknown or not names:
        given = ", ".join(unknown) or "(none given)"
        raise argparse.ArgumentTypeError(
            f"unknown method(s) {given}; choose from {', '.join(METHODS)}"
        )
    return tuple(dict.fromkeys(names))


def add_parser(commands):
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
    add_problem_flags(compare, seed_help="seed of the training data and weights")
    compare.add_argument(
        "--lr",
        type=positive_float,
        default=1e-3,
        help="learning rate of the JAX methods (default: 0.001); Keras keeps SGD's default, "
        "as in the lecture",
    )
    compare.add_argument(
        "--lecture",
        action="store_true",
        help="reproduce the lecture exactly: validation data drawn with the training seed",
    )
    add_output_flags(compare, default_out="nnreg-results")
    compare.set_defaults(run=run, parser=compare)


def run(args):
    if args.lecture and args.val_seed is not None and args.val_seed != args.seed:
        args.parser.error("--lecture draws validation data with --seed; drop --val-seed")
    from ._compare import run_compare_command

    return run_compare_command(args)
