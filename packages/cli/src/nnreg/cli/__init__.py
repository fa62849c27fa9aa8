"""nnreg.cli: the ``nnreg`` command. Heavy imports (jax, keras) wait until a command runs."""

from ._app import main

__all__ = ["main"]
