"""Update rules in the optax style: a factory returns an ``optax.GradientTransformation``.

The lecture's hand-written gradient descent is one such factory, so the one training engine
serves it and every optax optimizer alike, and it composes with ``optax.chain``.
"""

import functools
import inspect
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


@functools.lru_cache(maxsize=32)
def flat_update(factory):
    """``factory`` with its rules applied to the parameters as one flat vector (``optax.flatten``).

    ``factory`` is ``learning_rate -> optax.GradientTransformation`` and so is the result.
    Only for element-wise rules (gradient descent, SGD, Adam, added weight decay), for which
    the arithmetic is the same: gradient descent and SGD end bit for bit the same, Adam within
    float rounding (XLA fuses its longer expression differently). What changes is the number
    of steps an epoch takes: a handful instead of a few per leaf. The trainers carry the
    parameters of a run with such a rule as one flat vector per member (except ensembles
    sharded over several devices, where that measured slower), which a whole-network kernel
    (``forward=nnreg.kernels.mlp_tanh``) reads and whose gradient it writes directly, so an
    epoch does little outside the kernel's two calls. ``Regressor`` (``nnreg fit``) always
    uses it, and the lecture's commands whenever they train through a custom forward; with
    nnreg's own network they keep per-leaf updates, with which Adam gives the lecture's
    figures exactly. A rule that treats leaves differently changes meaning on one vector and
    must not be flattened: by label (``optax.masked``, ``optax.multi_transform``), by each
    leaf's norm (LAMB, LARS, ``optax.clip_by_block_rms``) or by its shape
    (``optax.adafactor``). A factory gets the same object back while it is among the last
    32 asked for, so repeated runs share their compiled programs.
    """
    return _FlatFactory(factory)


class FlatTransformation(optax.GradientTransformationExtraArgs):
    """A transformation from a ``flat_update`` factory: the trainers carry its parameters flat."""

    __slots__ = ()


class _FlatFactory:
    def __init__(self, factory):
        self.factory = factory
        # optax.inject_hyperparams reads the hyperparameters' names from the signature
        self.__signature__ = inspect.signature(factory)

    def __call__(self, *args, **kwargs):
        return FlatTransformation(*optax.flatten(self.factory(*args, **kwargs)))


def updates_flat(rule) -> bool:
    """Whether ``rule`` (a transformation, or a factory of them) came from ``flat_update``."""
    return isinstance(rule, (FlatTransformation, _FlatFactory))


def rate_in_state(factory, with_weight_decay=False):
    """``(update, init)`` for members of ``factory`` that differ only in learning rate.

    ``init(params, learning_rate)`` gives a member's state, which carries its rate, and the
    one ``update`` serves every member, so all share one compiled program. Optax factories
    go through ``optax.inject_hyperparams``; :func:`gradient_descent` carries its rate already.
    ``with_weight_decay``: the members differ in weight decay too; ``factory`` takes
    ``(learning_rate, weight_decay)`` and ``init(params, {"learning_rate": ...,
    "weight_decay": ...})``.
    """
    if factory is gradient_descent and not with_weight_decay:
        return _gradient_descent_update, _gradient_descent_init
    names = ("learning_rate", "weight_decay") if with_weight_decay else ("learning_rate",)
    return _injected_rule(factory, names)


def _gradient_descent_init(params, learning_rate):
    return gradient_descent(learning_rate).init(params)


# One (update, init) pair per factory: the same functions on every call, so that the compiled
# chunk and the compiled init (the engine's compiled_init, per layout of the members) serve
# every ensemble trained with it.
@functools.lru_cache(maxsize=32)
def _injected_rule(factory, names):
    injected = optax.inject_hyperparams(factory)(**dict.fromkeys(names, 0.0))
    return injected.update, functools.partial(_init_injected, injected)


def _init_injected(injected, params, hyperparams):
    """``hyperparams``: the member's learning rate, or a dict of every injected value."""
    if not isinstance(hyperparams, dict):
        hyperparams = {"learning_rate": hyperparams}
    state = injected.init(params)
    given = {k: jnp.asarray(v, state.hyperparams[k].dtype) for k, v in hyperparams.items()}
    rate = given["learning_rate"]
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
    return state._replace(hyperparams={**state.hyperparams, **given}, inner_state=inner)
