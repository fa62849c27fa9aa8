"""``nnreg sweep``: seeds x learning rates as one sharded ensemble, summarised per rate."""

import json
import sys
import time

import numpy as np

from . import _outputs, _runtime
from ._progress import ProgressLine
from ._table import format_table


def run_sweep_command(args):
    out = _outputs.prepare_out_dir(args.out)
    _outputs.check_output_path(args.json, "--json")
    if args.cpu_devices is not None:
        _runtime.split_host_cpu(args.cpu_devices)
    elif not _runtime.cpu_device_count_forced_by_xla_flags():
        _runtime.split_host_cpu(_runtime.usable_cores())
    cache = _runtime.enable_cache_unless_disabled(args)

    import optax

    import nnreg.core as core

    val_seed = core.VALIDATION_SEED if args.val_seed is None else args.val_seed
    x, y = core.generate_data(data_size=args.data_size, seed=args.seed)
    x_val, y_val = core.generate_data(data_size=args.data_size, seed=val_seed)
    layer, kernel = _runtime.hidden_layer(args.fused)
    member_seeds = [args.seed + i for i in range(args.seeds)]
    seeds = np.array([s for _ in args.lrs for s in member_seeds])
    learning_rates = np.array([lr for lr in args.lrs for _ in member_seeds])
    optimizer = {"gd": None, "sgd": optax.sgd, "adam": optax.adam}[args.optimizer]

    table_stream = sys.stderr if args.json == "-" else sys.stdout
    progress = ProgressLine(not args.quiet and sys.stdout.isatty() and sys.stderr.isatty())
    start = time.perf_counter()
    try:
        result = core.train_ensemble(
            x, y, x_val, y_val,
            seeds=seeds,
            learning_rates=learning_rates,
            epochs=args.epochs,
            optimizer=optimizer,
            layer=layer,
            progress=progress.reporter(f"{len(seeds)} members"),
        )  # fmt: skip
    finally:
        progress.clear()
    seconds = time.perf_counter() - start

    print(format_summary(result, args.lrs, seconds), file=table_stream)
    document = json.dumps(
        {
            "config": {
                "optimizer": args.optimizer,
                "seeds": args.seeds,
                "member_seeds": member_seeds,
                "learning_rates": list(args.lrs),
                "epochs": args.epochs,
                "data_size": args.data_size,
                "seed": args.seed,
                "val_seed": val_seed,
                "fused": args.fused,
                "kernel": kernel,
                "layer_sizes": list(core.LECTURE_LAYER_SIZES),
                "compilation_cache": str(cache) if cache else None,
            },
            "environment": _runtime.environment_info(),
            "devices": result.devices,
            "seconds": seconds,
            "results": [
                {
                    "seed": int(s),
                    "learning_rate": float(lr),
                    "val_mse": _runtime.finite_or_none(v),
                    "train_mse": _runtime.finite_or_none(t),
                    "diverged": bool(d),
                }
                for s, lr, v, t, d in zip(
                    result.seeds,
                    result.learning_rates,
                    result.final_val_loss,
                    result.final_train_loss,
                    result.diverged,
                    strict=True,
                )
            ],
        },
        indent=2,
    )
    _outputs.write_text(str(out / "sweep.json"), document + "\n")
    if args.json:
        _outputs.write_text(args.json, document + "\n")
    if not args.no_plots:
        from ._plots import plot_sweep

        plot_sweep(result, out / "sweep.png", title=f"{args.optimizer}, {args.epochs} epochs")
    print(f"results in {out}/", file=table_stream)
    return 0 if not result.diverged.all() else 1


def format_summary(result, learning_rates, seconds):
    header = ("learning rate", "members", "val MSE mean", "std", "min", "max", "diverged")
    rows = []
    for lr in learning_rates:
        members = result.learning_rates == lr
        ok = members & ~result.diverged
        values = result.final_val_loss[ok]
        stats = (
            [f"{f(values):.5f}" for f in (np.mean, np.std, np.min, np.max)]
            if values.size
            else ["-"] * 4
        )
        rows.append(
            (
                f"{lr:g}",
                str(int(members.sum())),
                *stats,
                str(int((members & result.diverged).sum())),
            )
        )
    lines = format_table(header, rows)
    lines.append(
        f"{len(result.seeds)} members on {result.devices} device(s) in {seconds:.2f} s "
        "(compilation included)"
    )
    return "\n".join(lines)
