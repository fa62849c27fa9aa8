"""What ``Regressor.fit`` reports: errors in the data's own units, and why training stopped."""

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class FitReport:
    """The outcome of one fit.

    ``train_mse`` and ``val_mse`` are those of the kept parameters in the target's own units
    (squared). ``val_rows`` are the indices of the rows held out for validation, the others
    trained. ``train_loss`` and ``val_loss`` hold the per-epoch losses on the standardised
    scale, of the parameters before each update. With early stopping, ``best_epoch`` is the
    number of updates behind the kept parameters. ``diverged_epoch`` is the epoch whose loss
    first became NaN or infinite, -1 if none did: a fit can diverge after its best epoch and
    still keep good parameters, and then says so.
    """

    train_mse: float
    val_mse: float
    n_train: int
    n_val: int
    epochs_run: int
    max_epochs: int
    patience: int | None
    best_epoch: int | None
    stopped_early: bool
    seconds: float
    val_rows: np.ndarray = dataclasses.field(repr=False)
    train_loss: np.ndarray = dataclasses.field(repr=False)
    val_loss: np.ndarray = dataclasses.field(repr=False)
    diverged_epoch: int = -1

    @property
    def stop_reason(self) -> str:
        reason = self._limit_reason()
        if self.diverged_epoch >= 0:
            reason += f"; training diverged at epoch {self.diverged_epoch} (loss not finite)"
        return reason

    def _limit_reason(self):
        if self.stopped_early:
            return (
                f"early stopping: the validation MSE had not improved for {self.patience} "
                f"epochs; kept the parameters after epoch {self.best_epoch}"
            )
        if self.best_epoch is not None:
            return (
                f"reached the limit of {self.max_epochs} epochs; kept the parameters after "
                f"epoch {self.best_epoch}, the best on validation"
            )
        return f"reached the limit of {self.max_epochs} epochs"
