"""Headless matplotlib for every command's figures, and saving them whole or not at all."""

import io

import matplotlib

matplotlib.use("Agg")  # no display needed; must precede pyplot's import

import matplotlib.pyplot as plt  # noqa: E402

from ._report import write_file  # noqa: E402

__all__ = ["png_bytes", "plt", "save_figure"]


def save_figure(fig, path):
    """Write ``fig``, laid out by whoever built it, as a PNG at ``path`` and free it."""
    try:
        write_file(path, lambda file: fig.savefig(file, format="png", dpi=110))
    finally:
        plt.close(fig)


def png_bytes(fig):
    """``fig`` as PNG file contents; frees it."""
    buffer = io.BytesIO()
    try:
        fig.savefig(buffer, format="png", dpi=110)
    finally:
        plt.close(fig)
    return buffer.getvalue()
