"""``nnreg compare``: the lecture's four methods on the same data, reported side by side.

Only the parser is built at import; jax, keras and matplotlib load inside ``run``.
"""

import argparse
import dataclasses

from . import _interrupts
from ._errors import RunFailed, UsageError
from ._flags import add_fused_flag, add_output_flags, add_problem_flags, positive_float
from ._report import ResultsFolder

METHODS = ("keras", "jax-gd", "optax-sgd", "optax-adam")
PLOTS = ("validation_loss.png", "fits.png")


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
    add_fused_flag(compare, applies_to="the JAX methods")
    add_problem_flags(compare, seed_help="seed of the training data and weights")
    compare.add_argument(
        "--lr",
        type=positive_float,
        default=1e-3,
        help="learning rate of the JAX methods (default: 0.001); Keras keeps SGD's default, "
        "as in the lecture",
    )
    compare.add_argument(
        "--repeat",
        action="store_true",
        help="train every method a second time and report that steady time too (the first "
        "run includes compiling, or Keras' tracing)",
    )
    compare.add_argument(
        "--lecture",
        action="store_true",
        help="reproduce the lecture exactly: validation data drawn with the training seed",
    )
    add_output_flags(compare, default_out="nnreg-results")
    compare.set_defaults(run=run)
    return compare


def run(args):
    if args.lecture and args.val_seed is not None and args.val_seed != args.seed:
        raise UsageError("--lecture draws validation data with --seed; drop --val-seed")
    folder = ResultsFolder(args.out, args.json, ("results.json", *PLOTS))

    from . import _compare_results
    from ._compare_methods import KERAS_DEFAULT_SGD_LEARNING_RATE, Problem
    from ._compile_cache import enable_cache_unless_disabled
    from ._environment import jax_environment
    from ._fusion import choose_fusion

    cache = enable_cache_unless_disabled(args)

    import nnreg.core as core

    fusion = choose_fusion(args.fused, core.LECTURE_LAYER_SIZES)
    val_seed = args.seed if args.lecture else args.val_seed
    if val_seed is None:
        val_seed = core.VALIDATION_SEED
    x, y = core.generate_data(data_size=args.data_size, seed=args.seed)
    x_val, y_val = core.generate_data(data_size=args.data_size, seed=val_seed)
    problem = Problem(x, y, x_val, y_val, args.seed, args.epochs, args.lr)
    results, failures = _train_every_method(args, problem, fusion)

    folder.say(_compare_results.format_results(results, failures, repeat=args.repeat))
    config = {
        "methods": list(args.methods),
        "fused": args.fused,
        "epochs": args.epochs,
        "data_size": args.data_size,
        "learning_rate": args.lr,
        "keras_learning_rate": KERAS_DEFAULT_SGD_LEARNING_RATE,
        "repeat": args.repeat,
        "seed": args.seed,
        "val_seed": val_seed,
        "lecture": args.lecture,
        "layer_sizes": list(core.LECTURE_LAYER_SIZES),
        "out": args.out,
        "compilation_cache": str(cache) if cache else None,
    }
    document = {
        "config": config,
        "environment": jax_environment(),
        "results": [_compare_results.result_json(r) for r in results]
        + [_compare_results.failure_json(m, e, fusion) for m, e in failures],
    }
    with folder.writing():
        folder.write_json("results.json", document)
        if not args.no_plots and results:
            from . import _compare_plots

            loss_figure = _compare_plots.validation_loss_figure(results)
            folder.write_figure("validation_loss.png", loss_figure)
            folder.write_figure("fits.png", _compare_plots.fits_figure(results, x, y))
        _interrupts.checkpoint()  # the last moment to stop with nothing written
    folder.say(f"results in {folder.out}/")
    if not any(not r.diverged for r in results):
        raise RunFailed("no method trained without diverging or failing")
    return 0


def _train_every_method(args, problem, fusion):
    from ._compare_methods import method_trainer
    from ._progress import Progress

    progress = Progress(quiet=args.quiet)
    results, failures = [], []
    for method in args.methods:
        try:  # one broken method must not hide the others' results
            with progress.stage(f"{method}, first run (compiling included)") as report:
                train = method_trainer(method, problem, fusion)
                result = train(report)
            if args.repeat:
                with progress.stage(f"{method}, steady run") as report:
                    steady = train(report)
                # The steady run's outcome, with both runs' times.
                result = dataclasses.replace(
                    steady, seconds_first=result.seconds_first, seconds_steady=steady.seconds_first
                )
            results.append(result)
        except Exception as err:
            failures.append((method, f"{type(err).__name__}: {err}"))
    return results, failures
