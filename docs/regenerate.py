"""Remake every output README.md shows, from the installed packages, so the README matches the code.

Each fenced block that follows a marker line ``<!-- output: NAME -->`` in README.md is
replaced by what the command of that name prints (stdout and stderr, in order); the figures
those commands write are copied into docs/. Usage, from the repository's root with nnreg
installed (the benchmarks take several minutes; ``--quick`` skips them; names given remake
only those outputs):

    python docs/regenerate.py [--quick] [NAME ...]
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIT_EXAMPLE = ROOT / "docs" / "fit-example"

# name -> (shell command, working folder or None for a fresh temporary one, figures to copy
# into docs/ as (written file, name in docs/), whether it is a benchmark)
OUTPUTS = {
    "compare": (
        "nnreg compare --fused",
        None,
        [
            ("nnreg-results/validation_loss.png", "compare-validation-loss.png"),
            ("nnreg-results/fits.png", "compare-fits.png"),
        ],
        False,
    ),
    "sweep": (
        "nnreg sweep --optimizer adam --seeds 16 --lrs 0.001,0.003,0.01",
        None,
        [("nnreg-sweep/sweep.png", "sweep-adam.png")],
        False,
    ),
    "fit": (
        "nnreg fit engel.csv --x income --y foodexp --out engel.npz --plot engel.png"
        " && nnreg predict engel.npz incomes.csv && rm engel.npz",
        FIT_EXAMPLE,
        [],
        False,
    ),
    "train-speed": (f"{sys.executable} {ROOT}/benchmarks/train_speed.py", None, [], True),
    "cores-speed": (f"{sys.executable} {ROOT}/benchmarks/cores_speed.py", None, [], True),
    "ensemble-speed": (f"{sys.executable} {ROOT}/benchmarks/ensemble_speed.py", None, [], True),
    "kernel-speed": (f"{sys.executable} {ROOT}/benchmarks/kernel_speed.py", None, [], True),
    "compare-speed": (f"{sys.executable} {ROOT}/benchmarks/compare_speed.py", None, [], True),
    "release-speed": (f"{sys.executable} {ROOT}/benchmarks/against_release.py", ROOT, [], True),
    # needs scikit-learn and statsmodels besides nnreg
    "fit-quality": (
        f"{sys.executable} {ROOT}/benchmarks/fit_quality.py"
        f" && {sys.executable} {ROOT}/benchmarks/fit_quality.py --cost",
        None,
        [],
        True,
    ),
    "fit-development": (
        f"{sys.executable} {ROOT}/benchmarks/fit_quality.py --data development"
        " --weight-decays 0.03,0.005",
        None,
        [],
        True,
    ),
}

MARKER = re.compile(r"^<!-- output: ([\w-]+) -->\n```[^\n]*\n.*?^```\n", re.M | re.S)


def run(name):
    command, folder, figures, _ = OUTPUTS[name]
    with tempfile.TemporaryDirectory() as scratch:
        cwd = Path(folder or scratch)
        print(f"regenerate: {name}: {command}", file=sys.stderr)
        done = subprocess.run(
            command, shell=True, cwd=cwd, capture_output=True, text=True,
            env={**os.environ, "COLUMNS": "100"},
        )  # fmt: skip
        if done.returncode != 0:
            sys.exit(f"regenerate: {name} failed ({done.returncode}):\n{done.stderr}")
        for written, target in figures:
            shutil.copyfile(cwd / written, ROOT / "docs" / target)
        return done.stdout


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the benchmarks")
    parser.add_argument("names", nargs="*", metavar="NAME", help="only these outputs")
    args = parser.parse_args()
    readme = (ROOT / "README.md").read_text()
    names = set(MARKER.findall(readme))
    unknown = names - set(OUTPUTS)
    if unknown:
        sys.exit(f"regenerate: README.md names unknown outputs: {', '.join(sorted(unknown))}")
    not_shown = set(args.names) - names
    if not_shown:
        sys.exit(f"regenerate: README.md shows no output named {', '.join(sorted(not_shown))}")
    names = set(args.names) or names
    outputs = {
        name: run(name)
        for name in OUTPUTS
        if name in names and not (args.quick and OUTPUTS[name][3])
    }

    def replace(match):
        name = match.group(1)
        if name not in outputs:
            return match.group(0)
        text = "\n".join(line.rstrip() for line in outputs[name].rstrip("\n").splitlines())
        return f"<!-- output: {name} -->\n```\n{text}\n```\n"

    (ROOT / "README.md").write_text(MARKER.sub(replace, readme))


if __name__ == "__main__":
    main()
