"""Defaults of ``Regressor`` and ``nnreg fit``, importable without loading jax."""

import dataclasses
import types


@dataclasses.dataclass(frozen=True)
class RegressorDefaults:
    """What ``Regressor()`` uses when an argument is left out.

    Chosen on development data sets (see benchmarks/fit_quality.py), not on its held-out split.
    ``learning_rates`` maps every optimizer name ``Regressor`` accepts to its default rate.
    """

    hidden: tuple = (10, 10, 10)
    optimizer: str = "adam"
    learning_rates: types.MappingProxyType = dataclasses.field(
        default_factory=lambda: types.MappingProxyType({"gd": 0.1, "sgd": 0.1, "adam": 0.01})
    )
    weight_decay: float | str = "auto"  # see _weight_decay_choice
    epochs: int = 5000
    val_fraction: float = 0.2
    seed: int = 0
    patience: int = 200
    ensemble: int = 8
    linear: bool = True

    @property
    def optimizers(self) -> tuple:
        return tuple(self.learning_rates)


REGRESSOR_DEFAULTS = RegressorDefaults()
# weight_decay="auto" trains the networks at each, and keeps the first unless a later one is
# clearly better on the validation rows (see _weight_decay_choice)
WEIGHT_DECAY_CANDIDATES = (0.03, 0.003, 0.0)
MAX_ENSEMBLE = 1024  # networks in one model; it bounds what a model file can make nnreg build
