"""nnreg.core's Regressor and load_model refuse bad settings, data and files by name."""

import re

import numpy as np
import pytest

import nnreg.core as core


@pytest.mark.parametrize(
    ("settings", "error", "message"),
    [
        ({"optimizer": "rmsprop"}, ValueError, "gd, sgd, adam"),
        ({"hidden": (10, 0)}, ValueError, r"hidden must be at least 1, got \(10, 0\)"),
        ({"hidden": (10, 2.5)}, TypeError, r"hidden must hold ints, got \(10, 2.5\)"),
        ({"hidden": 10}, TypeError, "sequence"),
        ({"learning_rate": -1.0}, ValueError, "learning_rate"),
        ({"weight_decay": -0.1}, ValueError, "weight_decay"),
        ({"weight_decay": "none"}, ValueError, "weight_decay must be 'auto' or a number, got 'no"),
        ({"epochs": 0}, ValueError, "epochs"),
        ({"val_fraction": 1.0}, ValueError, "val_fraction"),
        ({"val_fraction": "0.2"}, TypeError, "val_fraction"),
        ({"patience": 0}, ValueError, "patience"),
        ({"seed": 1.5}, TypeError, "seed"),
        ({"layer": "tanh"}, TypeError, "callable"),
    ],
)
def test_bad_settings_are_refused_at_construction(settings, error, message):
    with pytest.raises(error, match=message):
        core.Regressor(**settings)


def column_data(rows=20):
    x = np.linspace(0, 1, rows)
    return np.stack([x, x**2], axis=1), np.sin(x)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda x, y: (np.where(x > 0.5, np.nan, x), y), "NaN"),
        (lambda x, y: (x, y[:-1]), "20 rows but y has 19"),
        (lambda x, y: (np.stack([x[:, 0], np.full(20, 5.0)], 1), y), "'b'"),
        (lambda x, y: (x, np.full(20, 2.0)), "'target'"),
        (lambda x, y: (x[:2], y[:2]), "too few rows"),
        (lambda x, y: (x.astype(str), y), "real numbers"),
        (lambda x, y: (x, y[:, None].repeat(2, 1)), "single column"),
        (lambda x, y: (x * 1e300, y), "columns 'a', 'b' are out of range.*rescale"),
        (lambda x, y: (x, y * 1e-300), "column 'target' is out of range"),
        (lambda x, y: (x, y * 1.7e307), "column 'target' is out of range"),
    ],
)
def test_bad_data_is_refused_before_training(change, message):
    x, y = change(*column_data())
    with pytest.raises((ValueError, TypeError), match=message):
        core.Regressor(epochs=5).fit(x, y, x_columns=["a", "b"], y_column="target")


def test_repeated_column_names_are_refused():
    x, y = column_data()
    with pytest.raises(ValueError, match="x_columns name a column more than once: a"):
        core.Regressor(epochs=5).fit(x, y, x_columns=["a", "a"])


@pytest.mark.parametrize(
    "names, message",
    [
        ({"x_columns": ["a", " b"]}, "x_columns: column name ' b' has whitespace around it"),
        ({"y_column": "target\t"}, "y_column: column name 'target\\t' has whitespace around"),
        ({"x_columns": ["a", ""]}, "x_columns: a column name must not be empty, got ''"),
        ({"y_column": " "}, "y_column: a column name must not be empty, got ' '"),
    ],
)
def test_column_names_no_csv_header_could_match_are_refused(names, message):
    # read_csv_columns strips headers: such a model could never predict from a CSV file.
    x, y = column_data()
    with pytest.raises(ValueError, match=re.escape(message)):
        core.Regressor(epochs=5).fit(x, y, **{"x_columns": ["a", "b"], **names})


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the diverging run overflows, as asked
def test_divergence_hidden_by_early_stopping_fails_without_learning():
    # lr 1e30 blows up at once; patience would otherwise keep the untrained weights
    x, y = column_data(40)
    model = core.Regressor(optimizer="gd", learning_rate=1e30, epochs=400, patience=20)
    message = r"nothing was learned: training diverged at epoch 1"
    with pytest.raises(core.TrainingError, match=message):
        model.fit(x, y)
    with pytest.raises(ValueError, match="not fitted"):
        model.predict(x)


def test_a_run_too_slow_to_learn_is_told_to_raise_its_learning_rate():
    x, y = column_data(40)
    model = core.Regressor(learning_rate=1e-12, epochs=50, ensemble=1, linear=False)
    message = (
        "nothing was learned: the training loss barely moved and the validation loss never "
        "improved on the initial weights; try a larger learning rate than 1e-12, or more epochs"
    )
    with pytest.raises(core.TrainingError, match=re.escape(message)):
        model.fit(x, y)


def test_inputs_beyond_float32_give_an_error_not_nan():
    x, y = column_data()
    model = core.Regressor(epochs=5).fit(x, y, x_columns=["a", "b"])
    x_new = np.ones((3, 2))
    x_new[1, 0] = 1e300
    with pytest.raises(ValueError, match=r"cannot predict row 2 \(of 1 such rows\)"):
        model.predict(x_new)


def test_wrong_number_of_columns_to_predict():
    x, y = column_data()
    model = core.Regressor(epochs=5).fit(x, y, x_columns=["a", "b"])
    with pytest.raises(ValueError, match=r"3 columns but the model takes 2 \(a, b\)"):
        model.predict(np.ones((4, 3)))


@pytest.fixture(scope="module")
def model_arrays(tmp_path_factory):
    x, y = column_data()
    path = tmp_path_factory.mktemp("model") / "good.npz"
    core.Regressor(epochs=5).fit(x, y).save(path)
    with np.load(path) as archive:
        return {key: archive[key] for key in archive.files}


def write_npz(path, arrays, **changes):
    arrays = {**arrays, **changes}
    np.savez(path, **{k: v for k, v in arrays.items() if v is not None})
    return path


def test_load_refuses_foreign_and_damaged_files(model_arrays, tmp_path):
    text = tmp_path / "notes.npz"
    text.write_text("not a zip file\n")
    with pytest.raises(ValueError, match="notes.npz is not an nnreg model file"):
        core.load_model(text)
    foreign = write_npz(tmp_path / "foreign.npz", {"weights": np.ones(3)})
    with pytest.raises(ValueError, match="not an nnreg model file .no 'nnreg-regressor' marker"):
        core.load_model(foreign)
    pickled = tmp_path / "pickled.npz"
    np.savez(pickled, format=np.array([{"a": 1}], dtype=object))
    with pytest.raises(ValueError, match="not an nnreg model file"):
        core.load_model(pickled)
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(write_npz(tmp_path / "full.npz", model_arrays).read_bytes()[:300])
    with pytest.raises(ValueError, match="truncated.npz is not an nnreg model file"):
        core.load_model(truncated)
    with pytest.raises(FileNotFoundError):
        core.load_model(tmp_path / "missing.npz")


def test_load_refuses_an_unknown_format_version(model_arrays, tmp_path):
    future = write_npz(tmp_path / "future.npz", model_arrays, format_version=np.int64(4))
    with pytest.raises(ValueError, match="model format version 4; nnreg .* reads versions 1, 2, 3"):
        core.load_model(future)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"W1": None}, "'W1' is missing"),
        ({"b0": np.ones((1, 3), np.float32)}, "layer 0 does not match"),
        ({"x_std": np.zeros(2)}, "positive and finite"),
        ({"x_columns": np.array(["only-one"])}, "do not match the columns"),
        ({"activation": np.str_("relu")}, "unknown activation"),
    ],
)
def test_load_refuses_a_damaged_model(model_arrays, tmp_path, changes, message):
    path = write_npz(tmp_path / "damaged.npz", model_arrays, **changes)
    with pytest.raises(ValueError, match=f"damaged nnreg model file: .*{message}"):
        core.load_model(path)


class NamedColumns:
    """The part of a pandas DataFrame that Regressor reads: ``columns`` and ``__array__``."""

    def __init__(self, columns):
        self.columns = list(columns)
        self._values = np.column_stack(list(columns.values()))

    def __array__(self, dtype=None, copy=None):
        return self._values if dtype is None else self._values.astype(dtype)

    def __getitem__(self, names):
        return NamedColumns({n: self._values[:, self.columns.index(n)] for n in names})


def pandas_frame(columns):
    return pytest.importorskip("pandas").DataFrame(columns)


@pytest.mark.parametrize("make_table", [NamedColumns, pandas_frame], ids=["table", "pandas"])
def test_a_tables_column_names_are_recorded_and_checked_at_prediction(make_table):
    x, y = column_data(40)
    table = make_table({"a": x[:, 0], "b": x[:, 1]})
    model = core.Regressor(epochs=5, ensemble=2).fit(table, y)
    assert model.x_columns_ == ("a", "b")
    np.testing.assert_array_equal(model.predict(table), model.predict(x))
    message = "x has columns (b, a) but the model takes (a, b), in that order"
    with pytest.raises(ValueError, match=re.escape(message)):
        model.predict(table[["b", "a"]])
    with pytest.raises(ValueError, match=re.escape(message)):
        model.predict_interval(table[["b", "a"]])
    unnamed = core.Regressor(epochs=5, ensemble=1).fit(x, y)  # x0, x1: any names will do
    np.testing.assert_array_equal(unnamed.predict(table), unnamed.predict(x))
