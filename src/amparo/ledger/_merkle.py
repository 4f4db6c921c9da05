"""RFC 9162 §2.1 Merkle tree hashing, proof construction and proof verification.

Hashes are SHA-256; a leaf hashes as ``H(0x00 || data)`` and an inner node as
``H(0x01 || left || right)``. Proofs are built from any :class:`NodeSource` (stored tiles,
downloaded tiles, hashes in memory), so one implementation serves the log, the auditor and the
benchmarks.

Verification fails closed: :func:`verify_inclusion` and :func:`verify_consistency` return
``None`` or raise :class:`ProofError` saying which check failed. Don't weaken the size checks:
the RFC 6962 test vectors in ``standards/merkle-testdata`` pin every one of them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Protocol

__all__ = [
    "EMPTY_ROOT",
    "NodeSource",
    "ProofError",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "root_from_inclusion",
    "subtree_hash",
    "verify_consistency",
    "verify_inclusion",
]

EMPTY_ROOT = hashlib.sha256(b"").digest()


class ProofError(ValueError):
    """A Merkle proof did not verify; the message says which check failed."""


class NodeSource(Protocol):
    """Hashes of complete subtrees: ``node(level, index)`` covers leaves
    ``[index * 2**level, (index + 1) * 2**level)``."""

    def node(self, level: int, index: int) -> bytes: ...


def leaf_hash(data: bytes) -> bytes:
    """The RFC 9162 hash of one leaf's data."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The RFC 9162 hash of an inner node."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (``n >= 2``)."""
    return 1 << ((n - 1).bit_length() - 1)


def subtree_hash(source: NodeSource, start: int, end: int) -> bytes:
    """MTH(D[start:end]) for a range that lies on the tree's left-to-right decomposition."""
    n = end - start
    if n == 0:
        return EMPTY_ROOT
    if n & (n - 1) == 0 and start % n == 0:
        level = n.bit_length() - 1
        return source.node(level, start >> level)
    k = _split(n)
    return node_hash(subtree_hash(source, start, start + k), subtree_hash(source, start + k, end))


def inclusion_proof(source: NodeSource, index: int, size: int) -> list[bytes]:
    """The audit path for leaf ``index`` in the tree of ``size`` leaves (RFC 9162 §2.1.3.1)."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is outside a tree of size {size}")
    path: list[bytes] = []
    start, end = 0, size
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            path.append(subtree_hash(source, start + k, end))
            end = start + k
        else:
            path.append(subtree_hash(source, start, start + k))
            start += k
    path.reverse()
    return path


def consistency_proof(source: NodeSource, size1: int, size2: int) -> list[bytes]:
    """The proof that the tree of ``size1`` is a prefix of the tree of ``size2`` (§2.1.4.1)."""
    if not 0 < size1 <= size2:
        raise ProofError(f"no consistency proof from size {size1} to size {size2}")
    path: list[bytes] = []
    m, start, end, complete = size1, 0, size2, True
    while m != end - start:
        k = _split(end - start)
        if m <= k:
            path.append(subtree_hash(source, start + k, end))
            end = start + k
        else:
            path.append(subtree_hash(source, start, start + k))
            m -= k
            start += k
            complete = False
    if not complete:
        path.append(subtree_hash(source, start, end))
    path.reverse()
    return path


def root_from_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root that ``proof`` implies for ``leaf`` at ``index`` (RFC 9162 §2.1.3.2)."""
    if index >= size:
        raise ProofError(f"leaf index {index} is not below tree size {size}")
    if len(leaf) != 32:
        raise ProofError(f"leaf hash has {len(leaf)} bytes, not 32")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ProofError("inclusion proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("inclusion proof is shorter than the tree is deep")
    return r


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    """Raise :class:`ProofError` unless ``leaf`` is at ``index`` in the tree with ``root``."""
    if root_from_inclusion(index, size, leaf, proof) != root:
        raise ProofError(f"inclusion proof for leaf {index} does not lead to the root")


def verify_consistency(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes
) -> None:
    """Raise :class:`ProofError` unless tree ``(size1, root1)`` is a prefix of ``(size2, root2)``.

    Checks in order: sizes ordered, a non-empty first tree, equal trees need an empty proof and
    equal roots, then the RFC 9162 §2.1.4.2 algorithm.
    """
    if size2 < size1:
        raise ProofError(f"size2 ({size2}) is smaller than size1 ({size1})")
    if size1 == 0:
        raise ProofError("a consistency proof from the empty tree proves nothing")
    if size1 == size2:
        if proof:
            raise ProofError("trees of equal size need an empty proof")
        if root1 != root2:
            raise ProofError(f"two different roots for the same tree size {size1}")
        return
    if not proof:
        raise ProofError("empty consistency proof for different tree sizes")
    path = list(proof)
    if size1 & (size1 - 1) == 0:
        path.insert(0, root1)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("consistency proof is longer than needed")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("consistency proof is shorter than needed")
    if fr != root1:
        raise ProofError(f"consistency proof does not lead to the root of size {size1}")
    if sr != root2:
        raise ProofError(f"consistency proof does not lead to the root of size {size2}")
