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
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="disable JAX's persistent compilation cache (also: NNREG_NO_CACHE=1)",
    )
