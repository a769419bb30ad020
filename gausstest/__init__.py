"""gausstest: is this latent sample Gaussian?

One call, :func:`assess`, runs a calibrated battery of multivariate normality
diagnostics on an (n, d) sample and returns a :class:`Report` that separates
*prior match* (z ~ N(0, I)), *shape* (z ~ N(mu, Sigma)) and *coverage*.
Each test is also a function of its own, returning a :class:`TestResult`.
"""

__version__ = "0.1.0"

from .errors import (  # noqa: E402
    DtypeError,
    ExtremeValueError,
    FileReadError,
    InputError,
    NonFiniteError,
    OptionError,
    ShapeError,
    SingularCovarianceError,
    TooFewSamplesError,
    UnknownTestError,
)
from .results import PValueInfo, TestResult  # noqa: E402
from .sample import Sample, as_sample  # noqa: E402
from .pvalues import Asymptotic, Auto, MonteCarlo  # noqa: E402
from .registry import REGISTRY, list_tests  # noqa: E402

# families (importing registers their tests)
from .prior import prior_match, prior_moments  # noqa: E402
from .moments import mardia_kurtosis, mardia_skewness  # noqa: E402
from .charfun import henze_zirkler  # noqa: E402
from .radial import radii  # noqa: E402
from .pairdist import pairwise_distances  # noqa: E402
from .distances import cramer_wold, energy, mmd  # noqa: E402
from .projections import projections  # noqa: E402
from .marginals import marginals  # noqa: E402
from .omnibus import doornik_hansen, royston  # noqa: E402
from .identity import covariance_test, mean_test  # noqa: E402
from .coverage import coverage  # noqa: E402

from .report import Report  # noqa: E402
from .battery import DEFAULT_BATTERY, assess  # noqa: E402
from .io import example_path, load  # noqa: E402
from .compare import Comparison, compare  # noqa: E402
from .posterior import assess_posterior  # noqa: E402

__all__ = [
    "__version__", "assess", "assess_posterior", "Report", "TestResult", "PValueInfo", "Sample", "as_sample",
    "Asymptotic", "Auto", "MonteCarlo", "REGISTRY", "DEFAULT_BATTERY", "list_tests",
    "load", "example_path", "compare", "Comparison",
    "prior_moments", "prior_match", "mardia_skewness", "mardia_kurtosis", "henze_zirkler", "radii",
    "pairwise_distances", "energy", "mmd", "cramer_wold", "projections", "marginals",
    "doornik_hansen", "royston", "mean_test", "covariance_test", "coverage",
    "InputError", "ShapeError", "DtypeError", "NonFiniteError", "TooFewSamplesError",
    "SingularCovarianceError", "FileReadError", "UnknownTestError", "OptionError",
    "ExtremeValueError",
]
