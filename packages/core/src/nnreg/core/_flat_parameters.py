"""Members' parameters carried as one flat vector each, for runs with a flat update rule.

The flat layout is ``jax.flatten_util.ravel_pytree``'s: the leaves in tree order, each
flattened, which for nnreg's list of ``{"W", "b"}`` is ``W_0, b_0, W_1, b_1, ...``, the
packed layout of the whole-network kernel. With the parameters carried so, an epoch's update
is a few steps on one vector, and the kernel reads the parameters and writes their gradient
with no copies between: XLA folds the kernel wrapper's packing of these slices away, when
the kernel is called on the member axis (vmap) rather than on one member's slices.
"""

import dataclasses
import math

import jax
import jax.numpy as jnp
import numpy as np


@dataclasses.dataclass(frozen=True)
class FlatLayout:
    """How one member's parameter tree lies in its flat vector; hashable (a static argument)."""

    structure: jax.tree_util.PyTreeDef
    shapes: tuple[tuple[int, ...], ...]

    @classmethod
    def of(cls, member_params):
        leaves, structure = jax.tree.flatten(member_params)
        return cls(structure, tuple(tuple(np.shape(leaf)) for leaf in leaves))

    @classmethod
    def of_members(cls, params):
        """The layout of each member of ``params``, whose leaves lead with a member axis."""
        leaves, structure = jax.tree.flatten(params)
        return cls(structure, tuple(tuple(np.shape(leaf)[1:]) for leaf in leaves))

    def flatten(self, params):
        """``(..., size)`` from a tree whose leaves have leading axes ``...`` before the
        member's shapes; host arrays stay on the host."""
        leaves = jax.tree.leaves(params)
        lead = np.shape(leaves[0])[: np.ndim(leaves[0]) - len(self.shapes[0])]
        xp = np if all(isinstance(leaf, np.ndarray) for leaf in leaves) else jnp
        return xp.concatenate([xp.reshape(leaf, (*lead, -1)) for leaf in leaves], axis=-1)

    def unflatten(self, flat):
        """The tree of ``flat`` ``(..., size)``, each leaf with the leading axes ``...``.

        ``split`` rather than slices: its gradient is a concatenation, which XLA folds into
        the kernel's packed gradient (a slice's is a padded sum)."""
        xp = np if isinstance(flat, np.ndarray) else jnp
        bounds = np.cumsum([math.prod(shape) for shape in self.shapes])[:-1]
        pieces = xp.split(flat, bounds, axis=-1)
        lead = flat.shape[:-1]
        leaves = [
            xp.reshape(piece, (*lead, *shape))
            for piece, shape in zip(pieces, self.shapes, strict=True)
        ]
        return jax.tree.unflatten(self.structure, leaves)
