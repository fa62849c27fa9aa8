"""The ``nnreg sweep`` command line; the work itself is in _sweep, imported on use."""

import argparse

from ._args import SEED_LIMIT, add_output_flags, add_problem_flags, positive_float, positive_int

OPTIMIZERS = ("gd", "sgd", "adam")


def _learning_rates(text):
    try:
        rates = [positive_float(part) for part in text.split(",") if part.strip()]
    except (ValueError, argparse.ArgumentTypeError):
        raise argparse.ArgumentTypeError(
            f"expected comma-separated positive numbers, got {text!r}"
        ) from None
    if not rates:
        raise argparse.ArgumentTypeError("give at least one learning rate")
    return tuple(dict.fromkeys(rates))


def add_parser(commands):
    sweep = commands.add_parser(
        "sweep",
        help="train many seeds x learning rates at once, sharded over every device",
        description="Train the lecture's network once per (seed, learning rate) pair, all "
        "members in one compiled program with the member axis sharded over every JAX device, "
        "and report the validation MSE per learning rate over seeds.",
    )
    sweep.add_argument("--optimizer", choices=OPTIMIZERS, default="adam", help="(default: adam)")
    sweep.add_argument(
        "--seeds",
        type=positive_int,
        default=8,
        help="members per learning rate, initialised with seeds --seed, --seed+1, ... (default: 8)",
    )
    sweep.add_argument(
        "--lrs",
        type=_learning_rates,
        default=(0.001, 0.003, 0.01),
        help="comma-separated learning rates (default: 0.001,0.003,0.01)",
    )
    add_problem_flags(
        sweep, seed_help="seed of the training data and of the first member's weights"
    )
    sweep.add_argument(
        "--fused",
        action="store_true",
        help="use nnreg.kernels' fused dense+tanh for the hidden layers",
    )
    sweep.add_argument(
        "--cpu-devices",
        type=positive_int,
        default=None,
        help="on a CPU host, split it into this many JAX devices for sharding (default: one "
        "per core, unless XLA_FLAGS sets --xla_force_host_platform_device_count)",
    )
    add_output_flags(sweep, default_out="nnreg-sweep")
    sweep.set_defaults(run=run, parser=sweep)


def run(args):
    last_seed = args.seed + args.seeds - 1
    if last_seed > SEED_LIMIT - 1:
        args.parser.error(f"--seed + --seeds - 1 = {last_seed} is past the largest seed")
    from ._sweep import run_sweep_command

    return run_sweep_command(args)
