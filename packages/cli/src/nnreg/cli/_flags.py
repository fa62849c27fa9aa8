"""Argument types and flag groups that several commands share; argparse alone, no jax."""

import argparse

SEED_LIMIT = 2**32  # numpy's legacy generator, which the lecture's recipes use, takes 0 .. 2**32-1


def positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value}")
    return value


def non_negative_int(text):
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be zero or a positive integer, got {value}")
    return value


def positive_float(text):
    value = float(text)
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def non_negative_float(text):
    value = float(text)
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be zero or a positive number, got {text}")
    return value


def weight_decay(text):
    """``auto``, or a number of zero or more."""
    return "auto" if text == "auto" else non_negative_float(text)


def fraction(text):
    value = float(text)
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1 (exclusive), got {text}")
    return value


def interval_level(text):
    value = fraction(text)
    if 0.5 + value / 2 == 1:  # the normal quantile of 1 is infinite
        raise argparse.ArgumentTypeError(
            f"must be far enough below 1 for a finite interval, got {text}"
        )
    return value


def seed(text):
    value = int(text)
    if not 0 <= value < SEED_LIMIT:
        raise argparse.ArgumentTypeError(f"must be between 0 and {SEED_LIMIT - 1}, got {value}")
    return value


def add_cache_flag(parser):
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="disable JAX's persistent compilation cache (also: NNREG_NO_CACHE=1)",
    )


def add_quiet_flag(parser):
    parser.add_argument("--quiet", action="store_true", help="no progress display")


def add_fused_flag(parser, *, applies_to="the network"):
    parser.add_argument(
        "--fused",
        action="store_true",
        help=f"train {applies_to} through nnreg.kernels: the whole network in one custom "
        "call (mlp_tanh) within its limits, else one call per hidden layer (dense_tanh)",
    )


def add_problem_flags(parser, *, seed_help):
    """The lecture's data set and the length of training, shared by compare and sweep."""
    parser.add_argument("--epochs", type=positive_int, default=4000, help="(default: 4000)")
    parser.add_argument(
        "--data-size", type=positive_int, default=400, help="number of points (default: 400)"
    )
    parser.add_argument("--seed", type=seed, default=1234, help=f"{seed_help} (default: 1234)")
    parser.add_argument(
        "--val-seed",
        type=seed,
        default=None,
        help="seed of the validation noise (default: 4321, independent of --seed)",
    )


def add_output_flags(parser, *, default_out):
    """Where compare and sweep put their results, and how loud they are."""
    parser.add_argument(
        "--out", default=default_out, help=f"folder for plots and results (default: {default_out})"
    )
    parser.add_argument(
        "--json", metavar="PATH", help="write results as JSON to PATH ('-': stdout)"
    )
    parser.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    add_quiet_flag(parser)
    add_cache_flag(parser)
