"""Bargaining engines over arrays with a leading batch axis; see :mod:`.base`."""

from factions.engines import eum as _eum  # noqa: F401  (registers the engine)
from factions.engines import exchange as _exchange  # noqa: F401  (registers the engine)
from factions.engines import mean as _mean  # noqa: F401  (registers the engine)
from factions.engines import median as _median  # noqa: F401  (registers the engine)
from factions.engines import nash as _nash  # noqa: F401  (registers the engine)
from factions.engines import procedural as _procedural  # noqa: F401  (registers the engine)
from factions.engines import smp as _smp  # noqa: F401  (registers the engine)
from factions.engines.base import ENGINES, EngineResult, EngineSpec

__all__ = ["ENGINES", "EngineResult", "EngineSpec"]
