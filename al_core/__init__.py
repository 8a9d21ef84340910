"""al_core: the active-learning engine (no UI; usable from a notebook or a script).

Load a dataset, open a ``LabelingSession``, and alternate ``query()`` and ``label()``;
or run the tutorial's experiment with ``simulate`` and strategies against random with
``compare``; or keep labels of several annotators in a saved ``Project``.

How the code is laid out (imports only point down this list; nothing imports the UI)::

    al_core/
      cli.py, __main__.py   python -m al_core ...
      projects/             a saved session: project, store, event log and its rows,
                            leases, lock, data source, random baseline, oracle, export
      simulation/           the tutorial's loop with a simulated oracle; compare
      learning/             strategies, scoring, models, cold start, explanations,
                            label state and the session
      data/                 built-in datasets, table and text-file loading, splits
      errors.py, threads.py used by every layer
"""

from al_core.data.datasets import BUILTINS, MISSING_LABEL, ColumnNote, Dataset, load_builtin
from al_core.data.tabular import frame_to_dataset, load_table
from al_core.errors import (
    ALError,
    AlreadyLabeledError,
    ConfigError,
    DatabaseUnavailableError,
    DataMismatchError,
    DatasetError,
    ModelFitError,
    NotEnoughLabelsError,
    NothingToUndoError,
    PoolExhaustedError,
    ProjectError,
    ProjectExistsError,
    ProjectNotFoundError,
    StaleActionError,
    StorageError,
    TooManyClassesError,
)
from al_core.learning.config import SessionConfig
from al_core.learning.history import HistoryPoint, learning_curve
from al_core.learning.models import MODELS, make_model
from al_core.learning.query import DONE, LEARN, TEST, Query
from al_core.learning.session import LabelingSession
from al_core.learning.strategies import SCORERS, STRATEGIES, select_top_k
from al_core.simulation.compare import Comparison, Curve, compare, random_baseline
from al_core.simulation.simulate import SimulationResult, simulate

__all__ = [
    "ALError",
    "AlreadyLabeledError",
    "BUILTINS",
    "ColumnNote",
    "Comparison",
    "ConfigError",
    "Curve",
    "DONE",
    "DataMismatchError",
    "Dataset",
    "DatasetError",
    "HistoryPoint",
    "LEARN",
    "LabelingSession",
    "MISSING_LABEL",
    "MODELS",
    "ModelFitError",
    "NotEnoughLabelsError",
    "NothingToUndoError",
    "PoolExhaustedError",
    "ProjectError",
    "ProjectExistsError",
    "ProjectNotFoundError",
    "Query",
    "SCORERS",
    "STRATEGIES",
    "SessionConfig",
    "SimulationResult",
    "StaleActionError",
    "StorageError",
    "DatabaseUnavailableError",
    "TEST",
    "TooManyClassesError",
    "compare",
    "frame_to_dataset",
    "learning_curve",
    "load_builtin",
    "load_table",
    "make_model",
    "random_baseline",
    "select_top_k",
    "simulate",
]
