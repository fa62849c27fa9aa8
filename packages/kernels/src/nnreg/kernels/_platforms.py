"""Public queries: which implementation dense_tanh uses on a platform, and why."""

from ._registry import canonical_platform, unavailable_reason


def implementation(platform: str | None = None) -> str:
    """Return what runs float32 dense_tanh on `platform`: "cpu" or "cuda" for the native
    kernel of that name, "jnp" for the dense_tanh_reference fallback.

    `platform` is a jax platform name ("cpu", "cuda", "gpu", ...); None means jax's default
    backend. Other dtypes always use the reference.
    """
    name = canonical_platform(platform)
    return name if unavailable_reason(name) is None else "jnp"


def load_error(platform: str | None = None) -> str | None:
    """Return why `platform` (as in implementation()) falls back to the jnp reference, or
    None when its native kernel is in use."""
    return unavailable_reason(canonical_platform(platform))
