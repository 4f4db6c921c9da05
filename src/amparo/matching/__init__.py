"""The in-memory PDQ index: every stored hash within a Hamming radius, exactly.

``amparo.scan`` keeps it in step with the database through ``add`` and ``remove``; this
package never touches SQL or files other than the ones given to ``save``/``load``. Exact
digests (MD5, SHA-256) need no index here: the database's index on (type, value) answers them.

    index = PdqIndex.from_arrays(ids, hashes)       # bulk load: (n,) ids, (n, 32) uint8
    index.add([42], ["f8f8" + "0" * 60])            # matchable at once
    index.query(pdq_hex)                             # [(id, distance), ...], exact, radius 31
    index.remove([42])
"""

from amparo.matching._pdq_index import DEFAULT_RADIUS, PdqIndex, PdqIndexStats

__all__ = ["DEFAULT_RADIUS", "PdqIndex", "PdqIndexStats"]
