"""Which hidden-layer implementation a command trains with: plain jnp or the fused kernel."""

from ._errors import InputError


def hidden_layer(fused):
    """The hidden-layer function for --fused or not, and the implementation that will run."""
    if not fused:
        import nnreg.core as core

        return core.tanh_layer, "jnp"
    try:
        import nnreg.kernels as kernels
    except ImportError as err:
        raise InputError(f"--fused needs the nnreg-kernels package: {err}") from None
    return kernels.dense_tanh, kernels.implementation()
