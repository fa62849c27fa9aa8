"""What training returns: one run (``TrainResult``) or many members (``EnsembleResult``).

Both use one divergence convention: ``diverged_epoch`` is the first epoch whose training or
validation loss is NaN or infinite (the number of epochs run when only the final
parameters' losses are), and -1 when training did not diverge.
"""

import dataclasses

import jax
import numpy as np


def divergence_epoch(train_loss, val_loss, final_train_loss, final_val_loss):
    """The first epoch whose loss is not finite; ``len(train_loss)`` if only the final
    losses are not; -1 if every loss is finite. Works per run on a leading axis too."""
    train_loss, val_loss = np.asarray(train_loss), np.asarray(val_loss)
    bad = ~(np.isfinite(train_loss) & np.isfinite(val_loss))
    final_bad = ~(np.isfinite(final_train_loss) & np.isfinite(final_val_loss))
    first = np.where(bad.any(axis=-1), bad.argmax(axis=-1), train_loss.shape[-1])
    epoch = np.where(bad.any(axis=-1) | final_bad, first, -1)
    return int(epoch) if epoch.ndim == 0 else epoch


@dataclasses.dataclass(frozen=True)
class TrainResult:
    """What a training run produced.

    ``train_loss[i]`` and ``val_loss[i]`` are the losses of the parameters *before* update
    ``i``, as the lecture records them, for every epoch run; ``final_train_loss`` and
    ``final_val_loss`` are those of the returned ``params``. ``diverged_epoch`` follows the
    module's convention (-1: did not diverge). With ``patience``, ``params`` are the best
    seen: ``best_epoch`` is ``i`` for the parameters before update ``i`` (the number of epochs
    run for the final ones), and ``stopped_early`` says whether training ended before
    ``epochs``.
    """

    params: list
    train_loss: np.ndarray
    val_loss: np.ndarray
    final_train_loss: float
    final_val_loss: float
    diverged_epoch: int
    best_epoch: int | None = None
    stopped_early: bool = False

    @property
    def diverged(self) -> bool:
        return self.diverged_epoch >= 0


@dataclasses.dataclass(frozen=True)
class EnsembleResult:
    """Per-member outcomes, member ``i`` trained from ``seeds[i]`` at ``learning_rates[i]``.

    ``params`` leaves have a leading member axis; ``train_loss``/``val_loss`` are
    ``(members, epochs)``; ``diverged_epoch[i]`` follows the module's convention (-1: did
    not diverge). With ``patience``, ``best_epoch[i]`` says which parameters member ``i``
    kept, as in :class:`TrainResult`.
    """

    seeds: np.ndarray
    learning_rates: np.ndarray
    params: list
    train_loss: np.ndarray
    val_loss: np.ndarray
    final_train_loss: np.ndarray
    final_val_loss: np.ndarray
    diverged_epoch: np.ndarray
    devices: int
    best_epoch: np.ndarray | None = None
    stopped_early: bool = False

    @property
    def diverged(self) -> np.ndarray:
        return self.diverged_epoch >= 0

    def member_params(self, i):
        return jax.tree.map(lambda leaf: leaf[i], self.params)
