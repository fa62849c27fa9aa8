"""What ran where: package versions (without importing jax) and the JAX devices in use."""

import importlib.metadata

PACKAGES = ("nnreg-cli", "nnreg-core", "nnreg-kernels", "jax")


def package_versions():
    """Installed version of each of PACKAGES, read from metadata: nothing gets imported."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def jax_environment():
    import jax

    device = jax.devices()[0]
    return {
        "jax": jax.__version__,
        "backend": jax.default_backend(),
        "device": device.device_kind,
        "device_count": jax.device_count(),
    }
