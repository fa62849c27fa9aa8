"""mlp_tanh: a whole tanh MLP as one native custom call per pass, chosen per platform."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
from jax.custom_derivatives import SymbolicZero, custom_vjp_primal_tree_values

from . import _mlp_reference
from ._mlp_validation import prepare_mlp
from ._registry import MLP_BACKWARD_TARGET, MLP_FORWARD_TARGET, native_platforms

# The native kernels' limits (kMlpMaxWidth, kMlpMaxLayers in csrc/common/mlp_shape.h):
# larger networks use mlp_tanh_reference.
MAX_WIDTH = 64
MAX_LAYERS = 8


def mlp_tanh(params, x: jax.Array) -> jax.Array:
    """Return the tanh MLP's output on the rows of x, the whole network in one native call.

    Args:
      params: non-empty list of {"W": (fan_in, fan_out), "b": (fan_out,) or (1, fan_out)}
        dicts, nnreg's format; hidden layers are tanh(h @ W + b), the last layer h @ W + b.
      x: (n, fan_in of the first layer) floating array; n may be 0.

    Returns (n, fan_out of the last layer). float32 networks of at most MAX_LAYERS layers,
    every width at most MAX_WIDTH, run the native CPU or CUDA kernel, picked when the program
    is lowered for a platform; other floating dtypes, larger networks and platforms without a
    kernel use mlp_tanh_reference. Differentiable in reverse mode (one native backward call
    for the gradients of every W, b and x) and batchable with jax.vmap over params and/or x:
    one call runs every member. Raises TypeError for wrong types and ValueError for shapes
    that do not describe a network.
    """
    weights, biases, x = prepare_mlp("mlp_tanh", params, x)
    widths = (x.shape[1], *(W.shape[1] for W in weights))
    within_limits = len(weights) <= MAX_LAYERS and 1 <= min(widths) and max(widths) <= MAX_WIDTH
    if x.dtype != jnp.float32 or not within_limits:
        return _mlp_reference.forward(weights, biases, x)
    return _mlp_f32(_pack(weights, biases), x, widths)


# The kernels take a member's parameters as one packed vector, W_0, b_0, W_1, b_1, ... each
# flattened: the order in which nnreg's parameters flatten (jax.flatten_util.ravel_pytree,
# optax.flatten). A caller that keeps its parameters flat then passes them with no copy: under
# vmap, XLA folds this concatenation of their slices back into the vector, and the split of
# the packed gradients into the concatenation that flattens them. Per-leaf callers pay one
# small copy.
def _pack(weights, biases):
    leaves = [leaf for layer in zip(weights, biases, strict=True) for leaf in layer]
    return jnp.concatenate([leaf.reshape(-1) for leaf in leaves])


def _unpack(packed, widths):
    """(weights, biases) of a packed vector (the jnp passes' view of it)."""
    weights, biases, at = [], [], 0
    for fan_in, fan_out in zip(widths[:-1], widths[1:], strict=True):
        weights.append(packed[at : at + fan_in * fan_out].reshape(fan_in, fan_out))
        at += fan_in * fan_out
        biases.append(packed[at : at + fan_out])
        at += fan_out
    return weights, biases


@functools.partial(jax.custom_vjp, nondiff_argnums=(2,))
def _mlp_f32(packed, x, widths):
    return _forward(packed, x, widths)


# The forward saves the hidden activations for the backward, which reads them in place,
# rather than the backward recomputing them: measured on this project's CPU (lecture
# network, 400 rows, one call) the forward costs 7.4 us of which most is tanh, the backward
# from saved activations 11.9 us; recomputing would add the forward's cost to every
# backward (about +60%), while saving costs one write of 30 floats per row that stays in
# cache. At 100 000 rows × 64 wide the block layout keeps the saved traffic sequential.
# Symbolic zeros tell the forward whether x is differentiated: training differentiates the
# parameters only, and the native backward then skips x's gradient (for 10 inputs and
# widths 10, a sixth of its products). Whether it is wanted travels in the residuals'
# structure, as they hold arrays only.
def _mlp_f32_fwd(packed, x, widths):
    packed = custom_vjp_primal_tree_values(packed)
    y, activations = _forward_saving(packed, x.value, widths)
    return y, (packed, x.value, activations, _WANTED if x.perturbed else None)


_WANTED = ()


def _mlp_f32_bwd(widths, residuals, dy):
    packed, x, activations, wanted = residuals
    if isinstance(dy, SymbolicZero):  # the output is not differentiated: nothing flows back
        return None, None
    input_gradient = wanted is not None
    dx, grads = _backward(dy, x, activations, packed, widths, input_gradient)
    return grads, dx if input_gradient else None


_mlp_f32.defvjp(_mlp_f32_fwd, _mlp_f32_bwd, symbolic_zeros=True)


# The platform is known only when the program is lowered: every platform with a native
# handler gets a branch, and platform_dependent keeps just the one being lowered for.
def _dispatch(native, reference, *args):
    branches = dict.fromkeys(native_platforms(MLP_FORWARD_TARGET, MLP_BACKWARD_TARGET), native)
    if not branches:
        return reference(*args)
    return jax.lax.platform_dependent(*args, default=reference, **branches)


def _forward(packed, x, widths):
    return _dispatch(
        lambda packed, x: _native_forward(packed, x, widths, save=False)[0],
        lambda packed, x: _mlp_reference.forward(*_unpack(packed, widths), x),
        packed,
        x,
    )


def _forward_saving(packed, x, widths):
    return _dispatch(
        lambda packed, x: tuple(_native_forward(packed, x, widths, save=True)),
        lambda packed, x: _mlp_reference.forward_saving(*_unpack(packed, widths), x),
        packed,
        x,
    )


def _backward(dy, x, activations, packed, widths, input_gradient):
    def reference(dy, x, activations, packed):
        weights, biases = _unpack(packed, widths)
        dx, dws, dbs = _mlp_reference.backward(dy, x, activations, weights)
        return dx, _pack(dws, dbs)

    return _dispatch(
        functools.partial(_native_backward, widths=widths, input_gradient=input_gradient),
        reference,
        dy,
        x,
        activations,
        packed,
    )


# "expand_dims": under vmap, operands without the batch axis get a size-1 one, which the
# kernels broadcast over the members instead of copying (x is shared by every member).
def _native_forward(packed, x, widths, *, save):
    n = x.shape[0]
    results = [jax.ShapeDtypeStruct((n, widths[-1]), x.dtype)]
    if save:
        results.append(jax.ShapeDtypeStruct(_mlp_reference.activations_shape(widths, n), x.dtype))
    call = jax.ffi.ffi_call(MLP_FORWARD_TARGET, results, vmap_method="expand_dims")
    return call(x, packed, widths=np.asarray(widths, np.int64))


# Without input_gradient the kernels leave dx unwritten (the caller discards it).
def _native_backward(dy, x, activations, packed, *, widths, input_gradient):
    results = [jax.ShapeDtypeStruct(x.shape, x.dtype), jax.ShapeDtypeStruct(packed.shape, x.dtype)]
    call = jax.ffi.ffi_call(MLP_BACKWARD_TARGET, results, vmap_method="expand_dims")
    dx, grads = call(
        dy,
        x,
        activations,
        packed,
        widths=np.asarray(widths, np.int64),
        input_gradient=np.int64(input_gradient),
    )
    return dx, grads  # a tuple, as the reference branch's (platform_dependent compares them)
