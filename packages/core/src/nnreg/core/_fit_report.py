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
    still keep good parameters, and then says so. For an ensemble the losses are the
    members' mean, ``best_epoch`` the latest member's and ``val_mse`` that of their mean.
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
    member_val_mse: tuple = ()  # each ensemble member's validation MSE, the target's units
    at_plane: int = 0  # networks that never improved on their start: the plane alone instead
    # Patience ended the kept networks' training before the run's end: it went on for the
    # networks of the other weight decays (weight_decay="auto")
    ran_on: bool = False
    weight_decay: float | None = None  # the one the kept networks trained with
    # With weight_decay="auto": (decay, the validation MSE of its ensemble) for each candidate
    weight_decay_val_mse: tuple = ()

    @property
    def stop_reason(self) -> str:
        reason = self._limit_reason()
        if self.at_plane:
            if len(self.member_val_mse) == 1:
                networks, place = "the network", "its"
            else:
                networks, place = f"{self.at_plane} of {len(self.member_val_mse)} networks", "their"
            reason += (
                f"; {networks} never improved on the ridge plane, which is kept alone"
                f" in {place} place"
            )
        if self.diverged_epoch >= 0:
            reason += f"; training diverged at epoch {self.diverged_epoch} (loss not finite)"
        return reason

    def _limit_reason(self):
        if len(self.member_val_mse) > 1:
            kept = f"kept each network's best parameters, the latest after epoch {self.best_epoch}"
        else:
            kept = f"kept the parameters after epoch {self.best_epoch}"
        if self.stopped_early:
            ran_on = "; the run went on for the other weight decays' networks" * self.ran_on
            return (
                f"early stopping: the validation MSE had not improved for {self.patience} "
                f"epochs; {kept}{ran_on}"
            )
        if self.best_epoch is not None:
            return f"reached the limit of {self.max_epochs} epochs; {kept}, the best on validation"
        return f"reached the limit of {self.max_epochs} epochs"
