"""Named input errors.

Every problem with the caller's data raises a subclass of :class:`InputError`
(itself a :class:`ValueError`) whose message names the problem and, where there
is one, the fix. The CLI turns these into a one-line message and exit code 2.
"""

from __future__ import annotations

__all__ = [
    "InputError",
    "ShapeError",
    "DtypeError",
    "NonFiniteError",
    "TooFewSamplesError",
    "SingularCovarianceError",
    "FileReadError",
    "UnknownTestError",
    "OptionError",
    "ExtremeValueError",
]


class InputError(ValueError):
    """Base class of every error caused by the caller's input.

    ``cli`` is the same message in command-line terms (``--nan-policy omit`` where the
    message says ``nan_policy='omit'``); the CLI prints it when given.
    """

    def __init__(self, *args: object, cli: str | None = None):
        super().__init__(*args)
        self.cli_message = cli


class ShapeError(InputError):
    """The data is not a 2-D (n, d) array."""


class DtypeError(InputError):
    """The data is not real and numeric."""


class NonFiniteError(InputError):
    """Some rows hold NaN or infinity."""


class TooFewSamplesError(InputError):
    """n is too small for the requested test or null."""


class SingularCovarianceError(InputError):
    """The sample covariance is singular, so the data cannot be whitened."""


class FileReadError(InputError):
    """A file could not be read as a numeric (n, d) array."""


class UnknownTestError(InputError):
    """A test code that is not in the registry."""


class ExtremeValueError(InputError):
    """Values too extreme for one statistic to be computed correctly (it refuses, by name)."""


class OptionError(InputError):
    """An option that cannot be honoured (e.g. a selection that runs no test)."""
