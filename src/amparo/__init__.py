"""Amparo: find, stop and prove the spread of child sexual abuse material.

Hash media (PDQ and its dihedral variants, MD5, SHA-256), match it against banks of
known hashes, read AI provenance, and record what was detected in a verifiable log.
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
