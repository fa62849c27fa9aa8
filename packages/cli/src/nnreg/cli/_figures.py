"""Headless matplotlib for every command's figures, and saving them whole or not at all."""

import matplotlib

matplotlib.use("Agg")  # no display needed; must precede pyplot's import

import matplotlib.pyplot as plt  # noqa: E402

from nnreg.core import write_atomically  # noqa: E402

__all__ = ["plt", "save_figure"]


def save_figure(fig, path, image_format="png"):
    """Write ``fig``, laid out by whoever built it, at ``path`` (``image_format``: png, pdf
    or svg) and free it.

    Raises OSError when the file cannot be written.
    """
    try:
        write_atomically(path, lambda file: fig.savefig(file, format=image_format, dpi=110))
    finally:
        plt.close(fig)
