"""nnreg.cli: the ``nnreg`` command. Heavy imports (jax, keras) wait until a command runs."""

from ._entry_point import main

__all__ = ["main"]
