"""Smallest proof that nnreg.kernels runs its native kernels on a platform and matches the
jnp references there, forward and backward; needs jax and numpy only, not pytest.

    python scripts/gpu_smoke.py [cuda|cpu]      (default cuda)

Exits non-zero, naming the first mismatch, if anything differs. scripts/gpu-check.sh runs it.
"""

import sys

import jax
import jax.numpy as jnp
import numpy as np

import nnreg.kernels as kernels

# (n, k, m): unit, ragged tiles, several row tiles and a split dW sum, a wide layer.
DENSE_SHAPES = [(1, 1, 1), (7, 3, 5), (4099, 10, 130), (70_000, 64, 64)]
MLP_WIDTHS = [(1, 10, 10, 10, 1), (5, 64, 33, 2)]
# Relative to the largest reference value: summation order differs, wrong indexing is O(1).
TOLERANCE = 1e-4


def main() -> None:
    platform = sys.argv[1] if len(sys.argv) > 1 else "cuda"
    if kernels.implementation(platform) != platform:
        sys.exit(f"no native {platform} kernel: {kernels.load_error(platform)}")
    rng = np.random.default_rng(0)
    with jax.default_device(jax.devices(platform)[0]):
        for n, k, m in DENSE_SHAPES:
            args = (normal(rng, n, k), normal(rng, k, m) / np.sqrt(k), normal(rng, m))
            compare(
                f"dense_tanh {n}x{k}·{k}x{m}",
                kernels.dense_tanh,
                kernels.dense_tanh_reference,
                args,
                "nnreg_dense_tanh_forward",
            )
        if hasattr(kernels, "mlp_tanh"):  # the whole-network kernel, where this version has it
            for widths in MLP_WIDTHS:
                params = [
                    {"W": normal(rng, a, b) / np.sqrt(a), "b": normal(rng, b)}
                    for a, b in zip(widths[:-1], widths[1:], strict=True)
                ]
                compare(
                    f"mlp_tanh {widths}",
                    kernels.mlp_tanh,
                    kernels.mlp_tanh_reference,
                    (params, normal(rng, 300, widths[0])),
                    "nnreg_mlp_tanh_forward",
                )
    print(f"smoke check passed on {jax.devices(platform)[0].device_kind} ({platform})")


def normal(rng, *shape):
    return jnp.asarray(rng.standard_normal(shape, dtype=np.float32))


def compare(name, native, reference, args, target):
    """native against reference: output and the gradient of a random projection of it."""
    if target not in jax.jit(native).lower(*args).as_text():
        sys.exit(f"{name}: the lowered program has no {target} custom call")
    cotangent = jnp.asarray(
        np.random.default_rng(1).standard_normal(
            jax.eval_shape(native, *args).shape, dtype=np.float32
        )
    )

    def outputs(f):
        value = jax.jit(f)(*args)
        every_argument = tuple(range(len(args)))
        loss = lambda *a: jnp.sum(f(*a) * cotangent)  # noqa: E731
        grads = jax.jit(jax.grad(loss, argnums=every_argument))(*args)
        return [value, *jax.tree.leaves(grads)]

    for got, want in zip(outputs(native), outputs(reference), strict=True):
        scale = max(float(jnp.max(jnp.abs(want))), 1.0) if want.size else 1.0
        error = float(jnp.max(jnp.abs(got - want))) if want.size else 0.0
        if not error <= TOLERANCE * scale:  # also catches NaN
            sys.exit(f"{name}: max abs error {error:.3g} against the reference")
    print(f"{name}: matches the reference")


if __name__ == "__main__":
    main()
