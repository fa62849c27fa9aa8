"""``nnreg predict``: apply a model file from ``nnreg fit`` to the columns of a CSV file."""

import csv
import io

from . import _interrupts
from ._errors import InputError
from ._flags import interval_level
from ._report import check_distinct_files, check_output_path, write_text


def add_parser(commands):
    predict = commands.add_parser(
        "predict",
        help="predict with a model file from `nnreg fit`",
        description="Read the model's input columns from a CSV file and write them with a "
        "prediction column named after the target (e.g. foodexp_pred), in its own units: the "
        "mean of the model's networks. For an ensemble, foodexp_std is their standard "
        "deviation (the model's uncertainty, not the data's noise).",
    )
    predict.add_argument("model", metavar="MODEL.npz", help="model file written by `nnreg fit`")
    predict.add_argument("data", metavar="DATA.csv", help="CSV file with the model's inputs")
    predict.add_argument(
        "--out", metavar="PRED.csv", help="file to write (default: standard output)"
    )
    predict.add_argument(
        "--interval",
        type=interval_level,
        metavar="LEVEL",
        help="add LEVEL prediction interval columns (e.g. foodexp_lower, foodexp_upper): the "
        "mean ± the normal quantile times sqrt(networks' variance + the noise variance "
        "measured on the fit's validation rows)",
    )
    predict.set_defaults(run=run)
    return predict


def run(args):
    check_output_path(args.out, "--out")
    check_distinct_files([("MODEL", args.model), ("DATA", args.data)], [("--out", args.out)])

    import nnreg.core as core

    model = core.load_model(args.model)
    names = _output_names(model, args.interval)
    repeated = [name for name in names if name in model.x_columns_]
    if repeated:  # a CSV that nnreg itself would refuse to read
        raise InputError(
            f"cannot write column {repeated[0]!r}: {args.model} has an input column of that "
            "name; fit the model again with that input renamed"
        )
    with _interrupts.raised_during():  # everything is loaded: Ctrl-C can stop at once
        x = core.read_csv_columns(args.data, model.x_columns_)
    mean, std = model.predict(x, return_std=True)
    values = [mean, std] if model.ensemble > 1 else [mean]
    if args.interval is not None:
        values.extend(model.interval_around(mean, std, args.interval))
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow([*model.x_columns_, *names])
    # repr gives the shortest text that reads back as the same float.
    rows = zip(x.tolist(), *(column.tolist() for column in values), strict=True)
    writer.writerows([*map(repr, inputs), *map(repr, outputs)] for inputs, *outputs in rows)
    _interrupts.checkpoint()  # the last moment to stop with nothing written
    write_text(args.out or "-", text.getvalue())
    return 0


def _output_names(model, interval):
    """The columns written after the inputs, named after the model's target: the prediction,
    the networks' spread (an ensemble's) and the interval (with ``--interval``)."""
    target = model.y_column_
    names = [f"{target}_pred", f"{target}_std"] if model.ensemble > 1 else [f"{target}_pred"]
    if interval is not None:
        names += [f"{target}_lower", f"{target}_upper"]
    return names
