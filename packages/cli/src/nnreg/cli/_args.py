"""Shared pieces of the command line: argument types and the user-facing error."""

import argparse


class CommandError(Exception):
    """A problem to report to the user in one line, without a traceback."""


def positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value}")
    return value


def positive_float(text):
    value = float(text)
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


SEED_LIMIT = 2**32  # numpy's legacy generator, which the lecture's recipes use, takes 0 .. 2**32-1


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
    """The flags every training command shares: where results go and how loud it is."""
    parser.add_argument(
        "--out", default=default_out, help=f"folder for plots and results (default: {default_out})"
    )
    parser.add_argument(
        "--json", metavar="PATH", help="write results as JSON to PATH ('-': stdout)"
    )
    parser.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    parser.add_argument("--quiet", action="store_true", help="no progress display")
    add_cache_flag(parser)
