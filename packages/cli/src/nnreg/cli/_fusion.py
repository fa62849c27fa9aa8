"""What a command trains through: plain JAX, or with --fused the whole network in one custom
call (nnreg.kernels.mlp_tanh) where it is within the kernel's limits, else one call per
hidden layer (dense_tanh)."""

import dataclasses
from collections.abc import Callable

from ._errors import InputError


@dataclasses.dataclass(frozen=True)
class Fusion:
    layer: Callable  # the hidden layer for core's layer=
    forward: Callable | None  # the whole network for core's forward=, None for core's own
    kind: str | None  # "network", "layer", or None when not fused (the JSON's "fusion")
    kernel: str  # the implementation that runs: "cpu", "cuda" or "jnp"

    @property
    def fused(self):
        return self.kind is not None

    def update_rules(self, name):
        """core.optimizer_factory(name), updating one flat vector through the whole-network
        kernel (core.flat_update says why)."""
        import nnreg.core as core

        factory = core.optimizer_factory(name)
        return factory if self.forward is None else core.flat_update(factory)


def choose_fusion(fused, layer_sizes):
    """The Fusion for --fused (or not) and a network of ``layer_sizes``."""
    import nnreg.core as core

    if not fused:
        return Fusion(layer=core.tanh_layer, forward=None, kind=None, kernel="jnp")
    try:
        import nnreg.kernels as kernels
    except ImportError as err:
        raise InputError(f"--fused needs the nnreg-kernels package: {err}") from None
    within_limits = (
        len(layer_sizes) - 1 <= kernels.MAX_LAYERS and max(layer_sizes) <= kernels.MAX_WIDTH
    )
    if within_limits:
        return Fusion(layer=core.tanh_layer, forward=kernels.mlp_tanh, kind="network",
                      kernel=kernels.implementation())  # fmt: skip
    return Fusion(layer=kernels.dense_tanh, forward=None, kind="layer",
                  kernel=kernels.implementation())  # fmt: skip
