"""The error nnreg.core raises when training itself fails (not the caller's arguments)."""


class TrainingError(RuntimeError):
    """Training ran but produced nothing usable: every loss non-finite, or nothing learned.

    Bad arguments raise ``TypeError`` or ``ValueError`` instead, before any training.
    """
