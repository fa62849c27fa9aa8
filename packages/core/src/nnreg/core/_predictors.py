"""How the engine evaluates every member at once: nnreg's network, a custom layer, or a
custom forward function such as ``nnreg.kernels.mlp_tanh``."""

import dataclasses
import functools
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, PartitionSpec

from ._checks import check_callable
from ._flat_parameters import FlatLayout
from ._mlp import feature_major, forward, members_feature_major, tanh_layer


@dataclasses.dataclass(frozen=True)
class MemberPredictor:
    """``(params, x) -> (members, rows, outputs)``; hashable, so equal settings share one
    compiled program.

    ``forward`` (a function ``(params, x) -> predictions`` of one member's params) wins;
    else hidden layers are ``layer(x, W, b)``; nnreg's own tanh layer runs feature-major.
    With a ``layout``, ``params`` are the members' flat vectors ``(members, size)``.
    """

    layer: Callable = tanh_layer
    forward: Callable | None = None
    mesh: Mesh | None = None  # members sharded over its one axis
    layout: FlatLayout | None = None

    def __call__(self, params, x):
        if self.layout is not None:
            params = self.layout.unflatten(params)
        if self.forward is not None:
            # One run needs no batching rule; flat parameters take the vmap even so, as
            # only there does XLA fold the whole-network kernel's packing of them away.
            if jax.tree.leaves(params)[0].shape[0] == 1 and self.layout is None:
                return self.forward(jax.tree.map(lambda leaf: leaf[0], params), x)[None]
            members = jax.vmap(self.forward, in_axes=(0, None))
            if self.mesh is None or self.mesh.size == 1:
                return members(params, x)
            # XLA cannot split a custom call over devices by itself (it would gather every
            # member onto each device), so each device runs the call on its own members.
            (axis,) = self.mesh.axis_names
            return jax.shard_map(
                members,
                mesh=self.mesh,
                in_specs=(PartitionSpec(axis), PartitionSpec()),
                out_specs=PartitionSpec(axis),
                # A custom forward may pick its implementation per platform, whose branches
                # cannot all say which values vary across devices.
                check_vma=False,
            )(params, x)
        if self.layer is tanh_layer:
            return jnp.swapaxes(feature_major(params, x.T), 1, 2)
        return jax.vmap(lambda p: forward(p, x, self.layer))(params)

    def evaluate(self, params, x):
        """The same predictions of host ``x``, as a host array, for evaluation outside the
        engine: one compiled program for all members, its rows padded with zeros to a power
        of two (at least MIN_EVALUATED_ROWS), so that new data rarely needs a new program.
        Run eagerly, every operation compiled for every new number of rows: 0.2-0.3 s a
        shape."""
        rows = x.shape[0]
        padded = max(MIN_EVALUATED_ROWS, 1 << max(rows - 1, 0).bit_length())
        x = np.concatenate([x, np.zeros((padded - rows, x.shape[1]), x.dtype)])
        return np.asarray(_evaluated(self, params, x))[:, :rows]  # sliced here: no program


# Rows of the smallest program that MemberPredictor.evaluate compiles.
MIN_EVALUATED_ROWS = 64


@functools.partial(jax.jit, static_argnums=0)
def _evaluated(predictor, params, x):
    if predictor.forward is None and predictor.layer is tanh_layer and predictor.layout is None:
        return jnp.swapaxes(members_feature_major(params, x.T), 1, 2)
    return predictor(params, x)


def member_predictor(layer, forward, mesh=None, layout=None):
    """The predictor for the trainers' ``layer=`` and ``forward=`` arguments, checked."""
    if forward is not None and layer is not tanh_layer:
        raise ValueError("pass either layer= or forward=, not both")
    return MemberPredictor(
        check_callable(layer, "layer"), check_callable(forward, "forward"), mesh, layout
    )
