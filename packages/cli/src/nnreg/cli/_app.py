"""The ``nnreg`` entry point: one subparser per command, each in its own ``_cmd_*`` module.

Only argparse runs before a command is chosen, so ``--help`` never waits for jax or keras.
"""

import argparse
import sys

from . import _cmd_compare, _cmd_fit, _cmd_sweep
from ._args import CommandError

COMMAND_MODULES = (_cmd_compare, _cmd_sweep, _cmd_fit)


def build_parser():
    parser = argparse.ArgumentParser(
        prog="nnreg", description="Train, compare and accelerate small neural-network regressions."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.add_parser(commands)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except CommandError as err:
        print(f"nnreg {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("nnreg: interrupted", file=sys.stderr)
        return 130
