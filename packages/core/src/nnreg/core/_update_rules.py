"""Update rules in the optax style: a factory returns an ``optax.GradientTransformation``.

The lecture's hand-written gradient descent is one such factory, so the one training engine
serves it and every optax optimizer alike, and it composes with ``optax.chain``.
"""

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax

from ._defaults import REGRESSOR_DEFAULTS


class GradientDescentState(NamedTuple):
    learning_rate: jax.Array


def gradient_descent(learning_rate) -> optax.GradientTransformation:
    """The lecture's update ``p - learning_rate * g`` on every leaf, as an (init, update) pair.

    The learning rate lives in the state, and every instance shares one ``update`` function,
    so runs at different rates share one compiled program. ``optax.apply_updates`` adds the
    returned ``-learning_rate * g`` to ``p``, which is exactly the lecture's subtraction.
    """

    def init(params):
        del params
        return GradientDescentState(jnp.asarray(learning_rate, jnp.float32))

    return optax.GradientTransformation(init, _gradient_descent_update)


def _gradient_descent_update(grads, state, params=None):
    del params
    return jax.tree.map(lambda g: -state.learning_rate * g, grads), state


def optimizer_factory(name):
    """The factory ``f(learning_rate) -> optax.GradientTransformation`` named ``name``.

    ``"gd"`` is :func:`gradient_descent`, ``"sgd"`` is ``optax.sgd``, ``"adam"`` is
    ``optax.adam``: the names ``Regressor``, ``nnreg fit`` and ``nnreg sweep`` accept.
    """
    factories = {"gd": gradient_descent, "sgd": optax.sgd, "adam": optax.adam}
    if name not in factories:
        choices = ", ".join(REGRESSOR_DEFAULTS.optimizers)
        raise ValueError(f"optimizer must be one of {choices}; got {name!r}")
    return factories[name]


def rate_in_state(factory):
    """``(update, init)`` for members of ``factory`` that differ only in learning rate.

    ``init(params, learning_rate)`` gives a member's state, which carries its rate, and the
    one ``update`` serves every member, so all share one compiled program. Optax factories
    go through ``optax.inject_hyperparams``; :func:`gradient_descent` carries its rate already.
    """
    if factory is gradient_descent:
        return _gradient_descent_update, _gradient_descent_init
    return _injected_rule(factory)


def _gradient_descent_init(params, learning_rate):
    return gradient_descent(learning_rate).init(params)


# One (update, init) pair per factory: the same functions on every call, so that the compiled
# chunk and the compiled init (the engine's compiled_init) serve every ensemble trained with it.
@functools.lru_cache(maxsize=32)
def _injected_rule(factory):
    injected = optax.inject_hyperparams(factory)(learning_rate=0.0)
    return injected.update, functools.partial(_init_injected, injected)


def _init_injected(injected, params, learning_rate):
    state = injected.init(params)
    rate = jnp.asarray(learning_rate, state.hyperparams["learning_rate"].dtype)
    # gradient_descent inside the factory (in an optax.chain, say) reads its rate from its
    # own state, which inject_hyperparams initialised once at 0.0: give it the member's too.
    inner = jax.tree.map(
        lambda leaf: (
            GradientDescentState(rate.astype(jnp.float32))
            if isinstance(leaf, GradientDescentState)
            else leaf
        ),
        state.inner_state,
        is_leaf=lambda leaf: isinstance(leaf, GradientDescentState),
    )
    return state._replace(
        hyperparams={**state.hyperparams, "learning_rate": rate}, inner_state=inner
    )
