"""Bad input to `nnreg fit` / `nnreg predict`: one clear line, exit code 2, nothing written.

The matrix runs the command in-process through the `cli` fixture (fast: no jax start-up per
case; an escaping exception fails the test just as a traceback would); two cases also go
through the console script itself.
"""

import importlib.util
import re

import numpy as np
import pytest

import nnreg.core as core

GOOD_ROWS = [(100 + 10 * i, 50 + 4 * i + (i % 3)) for i in range(20)]


@pytest.fixture
def folder(tmp_path):
    text = "income,food\n" + "".join(f"{a},{b}\n" for a, b in GOOD_ROWS)
    (tmp_path / "good.csv").write_text(text)
    x = np.array(GOOD_ROWS, float)
    core.Regressor(epochs=5).fit(x[:, :1], x[:, 1], x_columns=["income"], y_column="food").save(
        tmp_path / "model.npz"
    )
    return tmp_path


def snapshot(folder):
    return {p.name: p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def bad_csv(folder, text):
    (folder / "bad.csv").write_text(text)
    return "bad.csv"


FIT_CASES = {
    "missing file": (lambda f: "missing.csv", [], r"cannot read missing\.csv: No such file"),
    "misspelt input": (
        lambda f: "good.csv",
        ["--x", "incme"],
        r"no column 'incme' \(did you mean 'income'\?\); its columns are 'income', 'food'",
    ),
    "missing target": (lambda f: "good.csv", ["--y", "rent"], "no column 'rent'"),
    "non-numeric": (
        lambda f: bad_csv(f, "income,food\n1,2\n3,4\n5,abc\n"),
        [],
        r"line 4 \(data row 3\), column 'food': 'abc' is not a number",
    ),
    "NaN": (lambda f: bad_csv(f, "income,food\n1,2\nNaN,4\n"), [], "'NaN' is not a finite"),
    "empty cell": (lambda f: bad_csv(f, "income,food\n1,2\n,4\n"), [], "'income' is empty"),
    "too few rows": (lambda f: bad_csv(f, "income,food\n1,2\n3,4\n"), [], "too few rows"),
    "constant input": (
        lambda f: bad_csv(f, "income,food\n" + "7,1\n7,2\n7,3\n7,5\n"),
        [],
        "column 'income' is constant",
    ),
    "header only": (lambda f: bad_csv(f, "income,food\n"), [], "header but no data rows"),
    "seeds beyond 2**32": (
        lambda f: "good.csv",
        ["--seed", "4294967295", "--ensemble", "2"],
        "seed must be below 4294967295, got 4294967295",
    ),
    "empty file": (lambda f: bad_csv(f, ""), [], "is empty: expected a header"),
    "out in a missing folder": (
        lambda f: "good.csv",
        ["--out", "nowhere/m.npz"],
        "cannot write --out nowhere/m.npz: folder nowhere does not exist",
    ),
    "out is a folder": (lambda f: "good.csv", ["--out", "."], "--out .: it is a folder"),
    "plot in a missing folder": (
        lambda f: "good.csv",
        ["--plot", "nowhere/fit.png"],
        "cannot write --plot nowhere/fit.png: folder nowhere does not exist",
    ),
    "json in a missing folder": (
        lambda f: "good.csv",
        ["--json", "nowhere/fit.json"],
        "cannot write --json nowhere/fit.json",
    ),
}


@pytest.mark.parametrize("quiet", [["--quiet"], []], ids=["quiet", "progress"])
@pytest.mark.parametrize("case", FIT_CASES)
def test_fit_bad_input(case, quiet, folder, monkeypatch, cli):
    """One line, no progress before it (even without --quiet), nothing written."""
    make_data, extra, message = FIT_CASES[case]
    monkeypatch.chdir(folder)
    data = make_data(folder)
    before = snapshot(folder)
    args = ["fit", data, "--x", "income", "--y", "food", "--out", "model.npz", *quiet]
    run = cli(*args, *extra, "--epochs", "5")
    assert run.exit_code == 2
    assert run.stderr.startswith("nnreg fit: error: ") and run.stderr.count("\n") == 1
    assert run.stdout == "" and re.search(message, run.stderr), run.stderr
    assert snapshot(folder) == before  # the old model.npz is byte-identical, nothing new


PREDICT_CASES = {
    "missing model": (lambda f: "gone.npz", "good.csv", r"cannot read gone\.npz: No such"),
    "text as model": (lambda f: "good.csv", "good.csv", r"good\.csv is not an nnreg model file"),
    "foreign npz": (
        lambda f: foreign_npz(f),
        "good.csv",
        "not an nnreg model file",
    ),
    "future format": (
        lambda f: future_model(f),
        "good.csv",
        "model format version 9; nnreg .* reads versions 1, 2, 3$",
    ),
    "columns missing": (
        lambda f: "model.npz",
        "renamed.csv",
        "renamed.csv has no column 'income'; its columns are 'salary', 'food'",
    ),
    "missing data": (lambda f: "model.npz", "nodata.csv", r"cannot read nodata\.csv: No such"),
}


def foreign_npz(folder):
    np.savez(folder / "other.npz", weights=np.ones(2))
    return "other.npz"


def future_model(folder):
    with np.load(folder / "model.npz") as archive:
        arrays = {key: archive[key] for key in archive.files}
    np.savez(folder / "future.npz", **{**arrays, "format_version": np.int64(9)})
    return "future.npz"


@pytest.mark.parametrize("case", PREDICT_CASES)
def test_predict_bad_input(case, folder, monkeypatch, cli):
    make_model, data, message = PREDICT_CASES[case]
    monkeypatch.chdir(folder)
    (folder / "renamed.csv").write_text("salary,food\n1,2\n")
    model = make_model(folder)
    before = snapshot(folder)
    run = cli("predict", model, data, "--out", "pred.csv")
    assert run.exit_code == 2 and run.stdout == ""
    assert run.stderr.startswith("nnreg predict: error: ") and run.stderr.count("\n") == 1
    assert re.search(message, run.stderr), run.stderr
    assert snapshot(folder) == before


def test_predict_refuses_an_output_column_named_as_an_input(folder, monkeypatch, cli):
    # Its CSV would hold two columns named y_pred, which nnreg's own reader refuses.
    monkeypatch.chdir(folder)
    (folder / "clash.csv").write_text("y_pred,y\n" + "".join(f"{i},{i % 3}\n" for i in range(9)))
    fitted = cli("fit", "clash.csv", "--x", "y_pred", "--y", "y", "--out", "clash.npz",
                 "--ensemble", "1", "--epochs", "5", "--quiet")  # fmt: skip
    assert fitted.exit_code == 0, fitted.stderr
    before = snapshot(folder)
    run = cli("predict", "clash.npz", "clash.csv", "--out", "pred.csv")
    assert run.exit_code == 2 and run.stdout == ""
    assert run.stderr == (
        "nnreg predict: error: cannot write column 'y_pred': clash.npz has an input column of "
        "that name; fit the model again with that input renamed\n"
    )
    assert snapshot(folder) == before


def test_predict_out_in_a_missing_folder(folder, monkeypatch, cli):
    monkeypatch.chdir(folder)
    run = cli("predict", "model.npz", "good.csv", "--out", "no/p.csv")
    assert run.exit_code == 2
    assert (
        run.stderr
        == "nnreg predict: error: cannot write --out no/p.csv: folder no does not exist\n"
    )


@pytest.mark.skipif(
    importlib.util.find_spec("nnreg.kernels") is not None, reason="nnreg.kernels is installed"
)
def test_fused_without_the_kernels_package(folder, monkeypatch, cli):
    monkeypatch.chdir(folder)
    run = cli("fit", "good.csv", "--x", "income", "--y", "food", "--out", "m.npz", "--fused")
    assert run.exit_code == 2
    assert "--fused needs the nnreg-kernels package" in run.stderr
    assert not (folder / "m.npz").exists()


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--hidden", "10,x"], "--hidden"),
        (["--hidden", "10,0"], "positive layer widths"),
        (["--val-fraction", "1.5"], "--val-fraction"),
        (["--patience", "-1"], "--patience"),
        (["--weight-decay", "-1"], "--weight-decay"),
        (["--weight-decay", "none"], "argument --weight-decay: invalid weight_decay value: 'none'"),
        (["--optimizer", "lbfgs"], "invalid choice"),
        (["--x", "income,,food"], "comma-separated column names"),
        (["--x", "income,income"], "named twice"),
        (["--x", "income,food"], "--y food is also one of the --x columns"),
    ],
)
def test_bad_flags_give_usage_and_exit_code_2(flags, message, folder, monkeypatch, cli):
    monkeypatch.chdir(folder)
    run = cli("fit", "good.csv", "--x", "income", "--y", "food", "--out", "m.npz", *flags)
    assert run.exit_code == 2
    assert run.stderr.startswith("usage: nnreg fit") and "nnreg fit: error: " in run.stderr
    assert message in run.stderr
    assert not (folder / "m.npz").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["fit", "good.csv", "--x", "incom", "--y", "food", "--out", "m.npz"], "did you mean"),
        (["predict", "good.csv", "good.csv"], "is not an nnreg model file"),
    ],
)
def test_the_console_script_prints_no_traceback(args, message, folder, console_script):
    run = console_script(*args, cwd=folder, env={"NNREG_NO_CACHE": "1"})
    assert run.returncode == 2 and run.stdout == ""
    assert message in run.stderr and run.stderr.count("\n") == 1
    assert "Traceback" not in run.stderr and not (folder / "m.npz").exists()
