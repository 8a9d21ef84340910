"""al_core: the active-learning engine (no UI; usable from a notebook or a script).

Load a dataset, open a ``LabelingSession``, and alternate ``query()`` and ``label()``;
or run the tutorial's experiment with ``simulate`` and strategies against random with
``compare``.
"""

from .compare import Comparison, Curve, compare, random_baseline
from .datasets import BUILTINS, MISSING_LABEL, ColumnNote, Dataset, load_builtin
from .errors import (
    ALError,
    AlreadyLabeledError,
    ConfigError,
    DataMismatchError,
    DatasetError,
    ModelFitError,
    NotEnoughLabelsError,
    NothingToUndoError,
    PoolExhaustedError,
    ProjectError,
    ProjectExistsError,
    ProjectNotFoundError,
    StorageError,
)
from .history import HistoryPoint, learning_curve
from .models import MODELS, make_model
from .session import DONE, LEARN, TEST, LabelingSession, Query, SessionConfig
from .simulate import SimulationResult, simulate
from .strategies import SCORERS, STRATEGIES, select_top_k
from .tabular import TooManyClassesError, frame_to_dataset, load_table

__all__ = [name for name in dir() if not name.startswith("_")]
