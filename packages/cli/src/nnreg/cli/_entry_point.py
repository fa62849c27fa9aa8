"""The ``nnreg`` entry point: the parser of every command, and the one place where an
exception becomes an exit code.

Command modules build their parsers from argparse alone, so ``--help`` and ``--version``
never wait for jax, keras or matplotlib.
"""

import argparse
import sys

from . import _compare_command, _fit_command, _interrupts, _predict_command, _sweep_command
from ._environment import package_versions
from ._errors import (
    EXIT_CODES_HELP,
    EXIT_FAILED,
    EXIT_USAGE,
    CommandError,
    UsageError,
)
from ._standard_streams import StandardOutputError

COMMAND_MODULES = (_compare_command, _sweep_command, _fit_command, _predict_command)


class _VersionAction(argparse.Action):
    """``--version``: the installed versions, read when asked rather than at every start."""

    def __init__(self, option_strings, dest, **kwargs):
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        for name, version in package_versions().items():
            print(f"{name} {version}")
        parser.exit()


def build_parser():
    parser = argparse.ArgumentParser(
        prog="nnreg",
        description="Train, compare and accelerate small neural-network regressions.",
        epilog=EXIT_CODES_HELP,
    )
    parser.add_argument(
        "--version", action=_VersionAction, help="print the versions of nnreg's packages and jax"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMAND_MODULES:
        command = module.add_parser(commands)
        command.epilog = EXIT_CODES_HELP
        command.set_defaults(parser=command)
    return parser


def main(argv=None):
    args, unknown = build_parser().parse_known_args(argv)
    if unknown:  # answered with the command's own usage, not the top-level one
        args.parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    try:
        with _interrupts.held(f"nnreg {args.command}"):
            exit_code = args.run(args)
            _interrupts.checkpoint()  # one that came while the outputs were being renamed
        return exit_code
    except KeyboardInterrupt:
        exit_code, word = _interrupts.outcome()
        print(f"nnreg {args.command}: {word}", file=sys.stderr)
        return exit_code
    except UsageError as err:
        args.parser.error(str(err))  # usage, the message, exit code 2
    except BrokenPipeError:
        # Standard output's reader left (`| head`): the output is incomplete, and there is
        # no one to tell; the console script silences the closed stream.
        return EXIT_FAILED
    except Exception as err:
        exit_code, message = _classify(err)
        if exit_code is None:
            raise  # a bug in nnreg: the traceback is what a report needs
        print(f"nnreg {args.command}: error: {message}", file=sys.stderr)
        return exit_code


def _classify(err):
    """The exit code and one-line message for an exception a user can cause, else None."""
    if isinstance(err, CommandError):
        return err.exit_code, str(err)
    if isinstance(err, StandardOutputError):
        return EXIT_FAILED, err.strerror
    from nnreg.core import TrainingError

    if isinstance(err, TrainingError):
        return EXIT_FAILED, str(err)
    if isinstance(err, (ValueError, TypeError)):  # nnreg.core's verdict on the user's data
        return EXIT_USAGE, str(err)
    if isinstance(err, OSError) and err.filename is not None:  # an input that cannot be read
        return EXIT_USAGE, f"cannot read {err.filename}: {err.strerror or err}"
    return None, None
