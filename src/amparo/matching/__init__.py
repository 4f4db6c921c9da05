"""In-memory indexes for hash lookups: PDQ within a Hamming radius, exact digests by value.

The lead keeps them in sync with the database through ``add`` and ``remove``; this package
never touches SQL or files other than the ones given to ``save``/``load``.

    index = PdqIndex.from_arrays(ids, hashes)       # bulk load: (n,) ids, (n, 32) uint8
    index.add([42], ["f8f8" + "0" * 60])            # matchable at once
    index.query(pdq_hex)                             # [(id, distance), ...], exact, radius 31
    index.remove([42])

    md5 = ExactIndex(hex_length=32)
    md5.add([7], ["d41d8cd98f00b204e9800998ecf8427e"])
    md5.query("D41D8CD98F00B204E9800998ECF8427E")    # [7]
"""

from amparo.matching._exact import ExactIndex
from amparo.matching._pdq_index import DEFAULT_RADIUS, PdqIndex, PdqIndexStats

__all__ = ["DEFAULT_RADIUS", "ExactIndex", "PdqIndex", "PdqIndexStats"]
