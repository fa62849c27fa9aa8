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
    widths = [x.shape[1]] + [W.shape[1] for W in weights]
    if x.dtype != jnp.float32 or len(weights) > MAX_LAYERS or max(widths) > MAX_WIDTH:
        return _mlp_reference.forward(weights, biases, x)
    return _mlp_f32(tuple(weights), tuple(biases), x)


@jax.custom_vjp
def _mlp_f32(weights, biases, x):
    return _forward(weights, biases, x)


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
def _mlp_f32_fwd(weights, biases, x):
    weights, biases = custom_vjp_primal_tree_values((weights, biases))
    y, activations = _forward_saving(weights, biases, x.value)
    return y, (weights, x.value, activations, _WANTED if x.perturbed else None)


_WANTED = ()


def _mlp_f32_bwd(residuals, dy):
    weights, x, activations, wanted = residuals
    if isinstance(dy, SymbolicZero):  # the output is not differentiated: nothing flows back
        return None, None, None
    input_gradient = wanted is not None
    dx, dws, dbs = _backward(dy, x, activations, weights, input_gradient)
    return tuple(dws), tuple(dbs), dx if input_gradient else None


_mlp_f32.defvjp(_mlp_f32_fwd, _mlp_f32_bwd, symbolic_zeros=True)


# The platform is known only when the program is lowered: every platform with a native
# handler gets a branch, and platform_dependent keeps just the one being lowered for.
def _dispatch(native, reference, *args):
    branches = dict.fromkeys(native_platforms(MLP_FORWARD_TARGET, MLP_BACKWARD_TARGET), native)
    if not branches:
        return reference(*args)
    return jax.lax.platform_dependent(*args, default=reference, **branches)


def _forward(weights, biases, x):
    return _dispatch(
        lambda w, b, x: _native_forward(w, b, x, save=False)[0],
        _mlp_reference.forward,
        weights,
        biases,
        x,
    )


def _forward_saving(weights, biases, x):
    return _dispatch(
        lambda w, b, x: tuple(_native_forward(w, b, x, save=True)),
        _mlp_reference.forward_saving,
        weights,
        biases,
        x,
    )


def _backward(dy, x, activations, weights, input_gradient):
    return _dispatch(
        functools.partial(_native_backward, input_gradient=input_gradient),
        _mlp_reference.backward,
        dy,
        x,
        activations,
        weights,
    )


# "expand_dims": under vmap, operands without the batch axis get a size-1 one, which the
# kernels broadcast over the members instead of copying (x is shared by every member).
def _native_forward(weights, biases, x, *, save):
    n = x.shape[0]
    results = [jax.ShapeDtypeStruct((n, weights[-1].shape[1]), x.dtype)]
    if save:
        shape = _mlp_reference.activations_shape(weights, n)
        results.append(jax.ShapeDtypeStruct(shape, x.dtype))
    call = jax.ffi.ffi_call(MLP_FORWARD_TARGET, results, vmap_method="expand_dims")
    return call(x, *weights, *biases, layers=np.int64(len(weights)))


# Without input_gradient the kernels leave dx unwritten (the caller discards it).
def _native_backward(dy, x, activations, weights, *, input_gradient):
    results = [jax.ShapeDtypeStruct(x.shape, x.dtype)]
    results += [jax.ShapeDtypeStruct(W.shape, W.dtype) for W in weights]
    results += [jax.ShapeDtypeStruct((W.shape[1],), W.dtype) for W in weights]
    call = jax.ffi.ffi_call(MLP_BACKWARD_TARGET, results, vmap_method="expand_dims")
    grads = call(
        dy,
        x,
        activations,
        *weights,
        layers=np.int64(len(weights)),
        input_gradient=np.int64(input_gradient),
    )
    layers = len(weights)
    return grads[0], grads[1 : 1 + layers], grads[1 + layers :]
