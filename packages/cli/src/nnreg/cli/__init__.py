"""nnreg.cli: the ``nnreg`` command. Heavy imports (jax, keras) wait until a command runs.

``main`` loads the command modules when first asked for, so that the console script
(``_console_script``) can take Ctrl-C before any of them loads.
"""

__all__ = ["main"]


def __getattr__(name):
    if name == "main":
        from ._entry_point import main

        return main
    raise AttributeError(f"module 'nnreg.cli' has no attribute {name!r}")
