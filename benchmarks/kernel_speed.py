"""Speed of nnreg.kernels' fused kernels against XLA's jnp, as ratios in one process.

    python benchmarks/kernel_speed.py [--platform cpu|cuda] [--part dense|mlp|all]

dense: dense_tanh against XLA's own jnp.tanh(x @ W + b).

Each timing runs the layer `repeats` times inside one jitted lax.scan, feeding each output
back in as the next input (k == m), so it measures the kernels rather than Python dispatch;
the best of several runs is reported per application. "native/XLA" below 1 means faster.
On a GPU it also times the (1048576, 64) @ (64, 64) forward pass against HBM bandwidth.

mlp: mlp_tanh (benchmarks/mlp_speed.py), the whole network in one call per pass.
"""

import argparse
import time

import jax
import jax.numpy as jnp
import numpy as np
from mlp_speed import mlp_benchmarks

from nnreg.kernels import dense_tanh, implementation

# (n, k == m, scan length) per platform
SHAPES = {
    "cpu": [(400, 10, 200), (100_000, 64, 10)],
    "cuda": [(400, 10, 200), (100_000, 64, 50), (1_048_576, 64, 20)],
}
# Peak HBM bandwidth in bytes/s by device-name fragment, most specific first.
PEAK_BANDWIDTH = [
    ("H200", 4.8e12),
    ("H100 PCIe", 2.0e12),
    ("H100", 3.35e12),
    ("A100-SXM4-80GB", 2.039e12),
    ("A100", 1.555e12),
]
RUNS = 7


def xla_layer(x, W, b):
    return jnp.tanh(x @ W + b.reshape(1, -1))


def xla_layer_f32(x, W, b):
    return jnp.tanh(jnp.matmul(x, W, precision=jax.lax.Precision.HIGHEST) + b.reshape(1, -1))


def forward_loop(layer, repeats):
    def run(x, W, b):
        return jax.lax.scan(lambda h, _: (layer(h, W, b), None), x, length=repeats)[0]

    return jax.jit(run)


def training_loop(layer, repeats):
    """Forward and backward: one gradient step on (x, W, b) per application."""
    grad = jax.grad(lambda x, W, b: jnp.sum(layer(x, W, b) ** 2), argnums=(0, 1, 2))

    def step(carry, _):
        return tuple(p - 1e-4 * g for p, g in zip(carry, grad(*carry), strict=True)), None

    return jax.jit(lambda x, W, b: jax.lax.scan(step, (x, W, b), length=repeats)[0])


def seconds_per_application(loops, args, repeats):
    """Best time per application of each loop; runs alternate between the loops, so that
    load from other processes on the machine hits them alike."""
    for loop in loops.values():
        jax.block_until_ready(loop(*args))  # compile and warm up
    best = dict.fromkeys(loops, float("inf"))
    for _ in range(RUNS):
        for name, loop in loops.items():
            start = time.perf_counter()
            jax.block_until_ready(loop(*args))
            best[name] = min(best[name], time.perf_counter() - start)
    return {name: seconds / repeats for name, seconds in best.items()}


def inputs(n, width, device):
    rng = np.random.default_rng(0)
    arrays = (
        rng.standard_normal((n, width), dtype=np.float32),
        rng.standard_normal((width, width), dtype=np.float32) / np.float32(np.sqrt(width)),
        0.1 * rng.standard_normal(width, dtype=np.float32),
    )
    return [jax.device_put(a, device) for a in arrays]


def peak_bandwidth(device):
    return next((peak for name, peak in PEAK_BANDWIDTH if name in device.device_kind), None)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--platform",
        choices=sorted(SHAPES),
        default=None,
        help="default: cuda when jax has a CUDA device, else cpu",
    )
    parser.add_argument("--part", choices=["dense", "mlp", "all"], default="all")
    arguments = parser.parse_args()
    platform = arguments.platform or ("cuda" if implementation() == "cuda" else "cpu")
    device = jax.devices(platform)[0]
    native = implementation(platform)
    print(f"device: {device.device_kind} ({platform}); dense_tanh implementation: {native}")
    if native != platform:
        raise SystemExit(f"no native {platform} kernel to benchmark")
    if arguments.part in ("dense", "all"):
        dense_benchmarks(platform, device)
    if arguments.part in ("mlp", "all"):
        mlp_benchmarks(device)


def dense_benchmarks(platform, device):
    layers = {"native": dense_tanh, "XLA": xla_layer}
    if platform == "cuda":  # XLA may use TF32 for float32 dots; the kernel is exact float32.
        layers["XLA fp32"] = xla_layer_f32
    baselines = [name for name in layers if name != "native"]
    print(
        f"{'shape':<24}{'pass':<18}{'native':>12}"
        + "".join(f"{name:>12}{'native/' + name:>16}" for name in baselines)
    )
    for n, width, repeats in SHAPES[platform]:
        args = inputs(n, width, device)
        assert "nnreg_dense_tanh_forward" in forward_loop(dense_tanh, 1).lower(*args).as_text()
        for pass_name, loop in (("forward", forward_loop), ("forward+backward", training_loop)):
            if n > 200_000 and pass_name != "forward":
                continue
            loops = {name: loop(layer, repeats) for name, layer in layers.items()}
            seconds = seconds_per_application(loops, args, repeats)
            line = f"{f'{n}x{width} @ {width}x{width}':<24}{pass_name:<18}"
            line += f"{seconds['native'] * 1e6:>10.1f}us"
            for name in baselines:
                line += f"{seconds[name] * 1e6:>10.1f}us{seconds['native'] / seconds[name]:>16.2f}"
            print(line, flush=True)
            if n > 200_000:
                print(f"{'':<24}{roofline(2 * n * width * 4, seconds['native'], device)}")


def roofline(bytes_moved, seconds, device):
    """Achieved bandwidth of x read + y written, as a fraction of the device's peak."""
    achieved = f"HBM roofline: {bytes_moved / seconds / 1e12:.2f} TB/s"
    peak = peak_bandwidth(device)
    if peak is None:
        return f"{achieved} (peak of {device.device_kind} unknown)"
    return f"{achieved} = {bytes_moved / seconds / peak:.2f} of {peak / 1e12:.2f} TB/s peak"


if __name__ == "__main__":
    main()
