"""C2SP signed notes and keys, checked against the Go ``note`` package's published vector."""

from __future__ import annotations

import pytest

from amparo.ledger import parse_signer, parse_vkey
from amparo.ledger._checkpoint import Checkpoint
from amparo.ledger._note import (
    ALG_COSIGNATURE_V1,
    NoteError,
    generate_signer,
    open_note,
    sign_note,
)

# golang.org/x/mod/sumdb/note documentation example (BSD licence, public test vector).
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_SIG = (
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="
)


def test_go_note_vector_signs_and_verifies_byte_for_byte() -> None:
    signer = parse_signer(GO_SKEY)
    assert signer.verifier.vkey == GO_VKEY
    assert signer.skey == GO_SKEY
    note = sign_note(GO_TEXT, [signer])
    assert note == GO_TEXT + "\n\u2014 PeterNeumann " + GO_SIG + "\n"
    text, signed = open_note(note, [parse_vkey(GO_VKEY)])
    assert text == GO_TEXT
    assert signed == {GO_VKEY: None}


def test_tampered_note_fails() -> None:
    note = sign_note(GO_TEXT, [parse_signer(GO_SKEY)])
    with pytest.raises(NoteError, match="invalid"):
        open_note(note.replace("answer", "Answer"), [parse_vkey(GO_VKEY)])
    with pytest.raises(NoteError, match="no valid signature"):
        open_note(note, [generate_signer("PeterNeumann").verifier])


@pytest.mark.parametrize(
    "bad",
    [
        GO_VKEY.replace("c74f20a3", "c74f20a4"),
        GO_VKEY.replace("+ARpc", "+AHpc"),
        "PeterNeumann+c74f20a3",
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        GO_VKEY + "AA",
    ],
)
def test_bad_vkeys_are_refused(bad: str) -> None:
    with pytest.raises(NoteError):
        parse_vkey(bad)


def test_vkey_with_plus_in_base64_round_trips() -> None:
    for _ in range(40):
        signer = generate_signer("example.org/log")
        assert parse_vkey(signer.verifier.vkey) == signer.verifier
        assert parse_signer(signer.skey) == signer


def test_cosignature_verifier_reports_time() -> None:
    witness = generate_signer("w.example/1", ALG_COSIGNATURE_V1)
    log = generate_signer("example.org/log")
    text = Checkpoint("example.org/log", 5, bytes(32)).text()
    note = sign_note(text, [log]) + witness.signature_line(text, 1700000000)
    _, signed = open_note(note, [log.verifier, witness.verifier])
    assert signed == {log.verifier.vkey: None, witness.verifier.vkey: 1700000000}


@pytest.mark.parametrize(
    "text",
    [
        "o\n01\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
        "o\n1\nAAAA\n",
        "o\n1\n",
        "o\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    ],
)
def test_malformed_checkpoints_are_refused(text: str) -> None:
    with pytest.raises(NoteError):
        Checkpoint.parse(text)


def test_checkpoint_round_trip() -> None:
    cp = Checkpoint("example.org/log", 12, bytes(range(32)), ("ext line",))
    assert Checkpoint.parse(cp.text()) == cp
