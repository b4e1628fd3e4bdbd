"""rolegraph: synthetic training data as multi-role LLM simulations behind a critic gate.

The Python API (see docs/api.md): `run`, `arun`, `load_scenario` and `RunResult`.

`rolegraph.run` is the function; the run-loop wing is the package `rolegraph.run`. The
API module imports the wing first and the function is bound after it, so both work: import
the wing's modules with `from rolegraph.run.runner import run_scenario` (not with
`import rolegraph.run.runner`, whose attribute lookup would find the function).
"""

from rolegraph.api import RunResult, arun, load_scenario, run
from rolegraph.version import __version__

__all__ = ["RunResult", "__version__", "arun", "load_scenario", "run"]
