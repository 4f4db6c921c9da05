"""The application layer's state: :class:`Runtime` owns the database, units of work, the
in-memory catalog, the ledger and every background worker.

``Amparo`` is the same class under the name the first releases used.
"""

from amparo.runtime._build import provenance_options
from amparo.runtime._follower import IndexStatus
from amparo.runtime._runtime import Runtime

Amparo = Runtime

__all__ = ["Amparo", "IndexStatus", "Runtime", "provenance_options"]
