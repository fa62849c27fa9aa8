"""``nnreg sweep``: seeds x learning rates as one sharded ensemble, summarised per rate.

Only the parser is built at import; jax and matplotlib load inside ``run``.
"""

import argparse
import time

from . import _interrupts
from ._errors import RunFailed, UsageError
from ._flags import (
    SEED_LIMIT,
    add_fused_flag,
    add_output_flags,
    add_problem_flags,
    positive_float,
    positive_int,
)
from ._report import ResultsFolder

OPTIMIZERS = ("gd", "sgd", "adam")  # nnreg.core.optimizer_factory's names


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
    add_fused_flag(sweep)
    sweep.add_argument(
        "--cpu-devices",
        type=positive_int,
        default=None,
        help="on a CPU host, split it into this many JAX devices for sharding (default: one "
        "per core, unless XLA_FLAGS sets --xla_force_host_platform_device_count)",
    )
    add_output_flags(sweep, default_out="nnreg-sweep")
    sweep.set_defaults(run=run)
    return sweep


def run(args):
    last_seed = args.seed + args.seeds - 1
    if last_seed > SEED_LIMIT - 1:
        raise UsageError(f"--seed + --seeds - 1 = {last_seed} is past the largest seed")
    folder = ResultsFolder(args.out, args.json, ("sweep.json", "sweep.png"))

    import numpy as np

    from ._compile_cache import enable_cache_unless_disabled
    from ._cpu_devices import split_host_cpu
    from ._environment import jax_environment
    from ._fusion import choose_fusion
    from ._progress import Progress
    from ._sweep_results import format_summary, member_json

    split_host_cpu(args.cpu_devices)
    cache = enable_cache_unless_disabled(args)

    import nnreg.core as core

    val_seed = core.VALIDATION_SEED if args.val_seed is None else args.val_seed
    x, y = core.generate_data(data_size=args.data_size, seed=args.seed)
    x_val, y_val = core.generate_data(data_size=args.data_size, seed=val_seed)
    fusion = choose_fusion(args.fused, core.LECTURE_LAYER_SIZES)
    member_seeds = [args.seed + i for i in range(args.seeds)]
    seeds = np.array([s for _ in args.lrs for s in member_seeds])
    learning_rates = np.array([lr for lr in args.lrs for _ in member_seeds])

    progress = Progress(quiet=args.quiet, loss_label="mean train MSE")
    stage = f"{len(seeds)} members, {args.optimizer}, compiling included"
    start = time.perf_counter()
    with progress.stage(stage) as report, _interrupts.raised_during():
        result = core.train_ensemble(
            x, y, x_val, y_val,
            seeds=seeds,
            learning_rates=learning_rates,
            epochs=args.epochs,
            optimizer=fusion.update_rules(args.optimizer),
            layer=fusion.layer,
            forward=fusion.forward,
            progress=report,
        )  # fmt: skip
    seconds = time.perf_counter() - start

    folder.say(format_summary(result, args.lrs, seconds, fusion))
    config = {
        "optimizer": args.optimizer,
        "seeds": args.seeds,
        "member_seeds": member_seeds,
        "learning_rates": list(args.lrs),
        "epochs": args.epochs,
        "data_size": args.data_size,
        "seed": args.seed,
        "val_seed": val_seed,
        "fused": args.fused,
        "layer_sizes": list(core.LECTURE_LAYER_SIZES),
        "compilation_cache": str(cache) if cache else None,
    }
    document = {
        "config": config,
        "environment": jax_environment(),
        "devices": result.devices,
        "seconds": seconds,
        "fusion": fusion.kind,
        "kernel": fusion.kernel,
        "results": member_json(result, args.optimizer),
    }
    with folder.writing():
        folder.write_json("sweep.json", document)
        if not args.no_plots:
            from ._sweep_plot import sweep_figure

            title = f"{args.optimizer}, {args.epochs} epochs, {args.seeds} seeds per learning rate"
            folder.write_figure("sweep.png", sweep_figure(result, title))
        _interrupts.checkpoint()  # the last moment to stop with nothing written
    folder.say(f"results in {folder.out}/")
    if result.diverged.all():
        raise RunFailed(f"every one of the {len(seeds)} members diverged")
    return 0
