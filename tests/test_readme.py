"""README.md runs as written: its Python blocks in order in one namespace, its commands parse."""

import re
import shlex
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```\n", re.M | re.S)
# Needs a second host (or process) to join it; tests/test_multihost.py runs it for real.
NEEDS_SEVERAL_PROCESSES = "jax.distributed.initialize("


def blocks(language):
    return [code for lang, code in BLOCK.findall(README.read_text()) if lang == language]


@pytest.mark.slow
def test_python_blocks_run_in_order_in_one_namespace():
    namespace = {}
    ran = 0
    for code in blocks("python"):
        if NEEDS_SEVERAL_PROCESSES in code:
            continue
        exec(compile(code, str(README), "exec"), namespace)  # noqa: S102 - our own README
        ran += 1
    assert ran >= 4
    assert "fused" in namespace and "grid" in namespace  # the last blocks ran too


def shown_commands():
    commands = []
    for code in blocks("sh"):
        for line in code.splitlines():
            for part in line.split("&&"):
                words = shlex.split(part)
                if words and words[0] == "nnreg":
                    commands.append(words[1:])
    return commands


def test_the_readme_shows_nnreg_commands():
    assert ["compare", "--fused"] in shown_commands()


@pytest.mark.parametrize("args", shown_commands(), ids=" ".join)
def test_every_shown_command_parses(cli, args):
    # --help after the shown flags: argparse checks each flag before it reaches --help.
    run = cli(*args, "--help")
    assert run.exit_code == 0, run.stderr
    assert run.stdout.startswith(f"usage: nnreg {args[0]}")
