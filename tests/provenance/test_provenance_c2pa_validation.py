"""C2PA validation results -> evidence: trust-only failures, ingredient failures, bad input.

The results dicts have the shape c2pa-python 0.38 (c2pa-rs 0.91) returns: ``activeManifest``
and ``ingredientDeltas`` with ``success``/``informational``/``failure`` lists of
``{code, url, explanation}``. The CAWG one mirrors c2pa-rs's ``C_with_CAWG_data.jpg`` fixture,
the ingredient one what c2pa reports for a file whose ingredient manifest was altered (also
made for real below). Labels and URLs are made up.
"""

from __future__ import annotations

import io
import json
from typing import Any

import c2pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from provenance_factories import (
    TRAINED,
    Credentials,
    encode,
    make_credentials,
    photo_like,
    sign_c2pa,
)

from amparo.provenance import Evidence, ProvenanceOptions, analyze
from amparo.provenance._c2pa import evidence_from_results

ACTIVE = "urn:c2pa:11111111-1111-4111-8111-111111111111"
INGREDIENT = "urn:c2pa:22222222-2222-4222-8222-222222222222"


def _status(code: str, manifest: str = ACTIVE, path: str = "/c2pa.signature") -> dict[str, str]:
    return {"code": code, "url": f"self#jumbf=/c2pa/{manifest}{path}", "explanation": code}


SIGNATURE_OK = [
    _status("timeStamp.validated"),
    _status("claimSignature.insideValidity"),
    _status("claimSignature.validated"),
    _status("assertion.dataHash.match", path="/c2pa.assertions/c2pa.hash.data"),
]


def _store(*, ingredient_action: bool = False) -> dict[str, Any]:
    def actions(*items: dict[str, Any]) -> dict[str, Any]:
        return {"label": "c2pa.actions.v2", "data": {"actions": list(items)}}

    manifests: dict[str, Any] = {
        ACTIVE: {
            "claim_generator_info": [{"name": "photo editor", "version": "3.1"}],
            "title": "edited.jpg",
            "assertions": [actions({"action": "c2pa.opened"}, {"action": "c2pa.cropped"})],
            "signature_info": {"alg": "Es256", "issuer": "Test CA", "common_name": "Editor"},
        }
    }
    if ingredient_action:
        created = {
            "action": "c2pa.created",
            "digitalSourceType": TRAINED,
            "softwareAgent": {"name": "ExampleGen 2"},
        }
        manifests[INGREDIENT] = {
            "claim_generator_info": [{"name": "ExampleGen"}],
            "title": "generated.png",
            "assertions": [actions(created)],
        }
    return {"active_manifest": ACTIVE, "manifests": manifests}


def _summary(evidence: list[Evidence]) -> Evidence:
    (item,) = [e for e in evidence if e.source == "C2PA manifest store"]
    return item


# ---------------------------------------------------------------- trust-only failures


def test_cawg_identity_and_signer_untrusted_is_untrusted_not_invalid() -> None:
    results = {
        "activeManifest": {
            "success": [
                *SIGNATURE_OK,
                _status("cawg.x509.signature.validated", path="/c2pa.assertions/cawg.identity"),
                _status("cawg.identity.well-formed", path="/c2pa.assertions/cawg.identity"),
            ],
            "informational": [
                _status("signingCredential.ocsp.skipped"),
                _status("timeStamp.untrusted"),
            ],
            "failure": [
                _status("signingCredential.untrusted"),
                _status("cawg.x509.credential.untrusted", path="/c2pa.assertions/cawg.identity"),
            ],
        },
        "specVersion": "2.4.0",
    }
    summary = _summary(evidence_from_results(_store(), "Valid", results))
    assert (summary.validation, summary.problem) == ("untrusted", "untrusted_signer")
    assert summary.attributes["failures"] == (
        "signingCredential.untrusted, cawg.x509.credential.untrusted"
    )
    assert "failing_manifest" not in summary.attributes


def test_only_the_identity_credential_untrusted() -> None:
    results = {
        "activeManifest": {
            "success": [*SIGNATURE_OK, _status("signingCredential.trusted")],
            "failure": [
                _status("cawg.x509.credential.untrusted", path="/c2pa.assertions/cawg.identity")
            ],
        }
    }
    summary = _summary(evidence_from_results(_store(), "Valid", results))
    assert (summary.validation, summary.problem) == ("untrusted", "untrusted_credential")


def test_older_library_calling_a_cawg_untrusted_store_invalid() -> None:
    # Before c2pa-rs tolerated CAWG trust failures its state was "Invalid" for the same codes;
    # the claim signature's own success code says the signature held.
    results = {
        "activeManifest": {
            "success": SIGNATURE_OK,
            "failure": [
                _status("signingCredential.untrusted"),
                _status("cawg.x509.credential.untrusted"),
            ],
        }
    }
    summary = _summary(evidence_from_results(_store(), "Invalid", results))
    assert (summary.validation, summary.problem) == ("untrusted", "untrusted_signer")


@pytest.mark.parametrize(
    ("code", "validation", "problem"),
    [
        ("signingCredential.untrusted", "untrusted", "untrusted_signer"),
        ("cawg.x509.credential.untrusted", "untrusted", "untrusted_credential"),
        ("cawg.ica.untrusted_issuer", "untrusted", "untrusted_credential"),
        ("timeStamp.untrusted", "untrusted", "untrusted_credential"),
        ("assertion.dataHash.mismatch", "invalid", "hash_mismatch"),
        ("assertion.bmffHash.mismatch", "invalid", "hash_mismatch"),
        ("claimSignature.mismatch", "invalid", "bad_signature"),
        ("signingCredential.expired", "invalid", "expired_certificate"),
        ("cawg.x509.signature.mismatch", "invalid", "invalid_identity"),
        ("cawg.x509.credential.invalid", "invalid", "invalid_identity"),
        ("claim.malformed", "invalid", "invalid_manifest"),
    ],
)
def test_each_failure_code_alone(code: str, validation: str, problem: str) -> None:
    # "Valid" even for CAWG signature failures: c2pa-rs tolerates every cawg.x509.* code in
    # its state, but a signature that does not verify is a real failure here.
    results = {"activeManifest": {"success": SIGNATURE_OK, "failure": [_status(code)]}}
    summary = _summary(evidence_from_results(_store(), "Valid", results))
    assert (summary.validation, summary.problem) == (validation, problem)


def test_real_failure_beside_trust_failures_stays_invalid() -> None:
    results = {
        "activeManifest": {
            "success": SIGNATURE_OK,
            "failure": [
                _status("signingCredential.untrusted"),
                _status("cawg.x509.credential.untrusted"),
                _status("assertion.dataHash.mismatch", path="/c2pa.assertions/c2pa.hash.data"),
            ],
        }
    }
    summary = _summary(evidence_from_results(_store(), "Invalid", results))
    assert (summary.validation, summary.problem) == ("invalid", "hash_mismatch")


@pytest.mark.parametrize(
    ("state", "validation", "problem"),
    [
        ("Trusted", "valid", None),
        ("Valid", "untrusted", "untrusted_signer"),
        ("Invalid", "invalid", "invalid_manifest"),
    ],
)
def test_no_failure_codes_follow_the_state(
    state: str, validation: str, problem: str | None
) -> None:
    summary = _summary(evidence_from_results(_store(), state, {"activeManifest": {"failure": []}}))
    assert (summary.validation, summary.problem) == (validation, problem)


# ---------------------------------------------------------------- ingredient failures


INGREDIENT_ASSERTION = "/c2pa.assertions/c2pa.ingredient.v3"


def _ingredient_deltas(*failures: dict[str, str]) -> dict[str, Any]:
    return {
        "activeManifest": {
            "success": [*SIGNATURE_OK, _status("signingCredential.trusted")],
            "failure": [],
        },
        "ingredientDeltas": [
            {
                "ingredientAssertionURI": f"self#jumbf=/c2pa/{ACTIVE}{INGREDIENT_ASSERTION}",
                "validationDeltas": {"success": [], "informational": [], "failure": list(failures)},
            }
        ],
    }


def test_failure_in_an_ingredient_names_that_manifest_and_code() -> None:
    results = _ingredient_deltas(
        _status("ingredient.manifest.mismatch", INGREDIENT, path=""),
        _status("claimSignature.mismatch", INGREDIENT),
    )
    evidence = evidence_from_results(_store(ingredient_action=True), "Invalid", results)
    summary = _summary(evidence)
    assert (summary.validation, summary.problem) == ("invalid", "bad_signature")
    assert summary.attributes["failing_manifest"] == INGREDIENT
    assert summary.attributes["failing_code"] == "claimSignature.mismatch"
    assert f"bad signature in ingredient manifest {INGREDIENT}" in summary.detail
    (ingredient,) = [e for e in evidence if e.source.endswith("ingredient manifest")]
    assert (ingredient.validation, ingredient.problem) == ("invalid", "bad_signature")
    assert ingredient.attributes == {
        "manifest": INGREDIENT,
        "failing_code": "claimSignature.mismatch",
        "title": "generated.png",
    }
    (action,) = [e for e in evidence if e.indicates == "declared_ai"]
    assert "in an ingredient's manifest" in action.detail
    assert action.problem == "bad_signature"


def test_the_active_manifests_own_failure_decides_first() -> None:
    results = _ingredient_deltas(_status("claimSignature.mismatch", INGREDIENT))
    results["activeManifest"]["failure"] = [
        _status("assertion.dataHash.mismatch", path="/c2pa.assertions/c2pa.hash.data")
    ]
    evidence = evidence_from_results(_store(ingredient_action=True), "Invalid", results)
    summary = _summary(evidence)
    assert (summary.validation, summary.problem) == ("invalid", "hash_mismatch")
    assert "failing_manifest" not in summary.attributes
    assert [e.attributes["manifest"] for e in evidence if e.source.endswith("manifest")] == [
        INGREDIENT
    ]


def test_missing_ingredient_manifest_named_by_a_bare_label() -> None:
    # c2pa-rs reports a missing ingredient manifest with its label as the URL.
    missing = {"code": "ingredient.manifest.missing", "url": "contentbeef:urn:uuid:3333"}
    results = {"activeManifest": {"success": SIGNATURE_OK, "failure": [missing]}}
    summary = _summary(evidence_from_results(_store(), "Invalid", results))
    assert (summary.problem, summary.attributes["failing_manifest"]) == (
        "ingredient_missing",
        "contentbeef:urn:uuid:3333",
    )


def test_untrusted_ingredient_signer_is_not_an_ingredient_failure() -> None:
    results = _ingredient_deltas(_status("signingCredential.untrusted", INGREDIENT))
    evidence = evidence_from_results(_store(ingredient_action=True), "Valid", results)
    summary = _summary(evidence)
    assert (summary.validation, summary.problem) == ("untrusted", "untrusted_signer")
    assert summary.attributes["failing_manifest"] == INGREDIENT
    assert not [e for e in evidence if e.source.endswith("ingredient manifest")]


def test_relative_urls_in_ingredient_deltas_are_unlabelled() -> None:
    relative = {"code": "assertion.hashedURI.mismatch", "url": "self#jumbf=c2pa.assertions/x"}
    evidence = evidence_from_results(_store(), "Invalid", _ingredient_deltas(relative))
    assert _summary(evidence).attributes["failing_manifest"] == ""
    assert "in ingredient manifest (unlabelled)" in _summary(evidence).detail


CODES = st.sampled_from(
    ["signingCredential.untrusted", "claimSignature.mismatch", "ingredient.manifest.missing", ""]
) | st.text(max_size=12)
URLS = (
    st.none()
    | st.integers()
    | st.text(max_size=30)
    | st.builds(
        "self#jumbf=/c2pa/{}{}".format,
        st.sampled_from([ACTIVE, INGREDIENT, ""]),
        st.sampled_from(["", "/", "/c2pa.signature"]),
    )
)
STATUS = (
    st.none() | st.integers() | st.fixed_dictionaries({}, optional={"code": CODES, "url": URLS})
)
BLOCK = (
    st.none()
    | st.text(max_size=5)
    | st.lists(STATUS, max_size=2)
    | st.fixed_dictionaries(
        {},
        optional={"success": st.lists(STATUS, max_size=3), "failure": st.lists(STATUS, max_size=3)},
    )
)
DELTA = st.none() | st.text(max_size=5) | st.fixed_dictionaries({"validationDeltas": BLOCK})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    active=st.sampled_from([ACTIVE, INGREDIENT, "", None, 3]),
    manifests=st.sampled_from(
        [None, [], "x", {ACTIVE: "x"}, _store(ingredient_action=True)["manifests"]]
    ),
    active_block=BLOCK,
    deltas=st.none() | st.text(max_size=5) | st.lists(DELTA, max_size=3),
    state=st.sampled_from(["Trusted", "Valid", "Invalid", "", "weird"]),
)
def test_malformed_results_never_raise(
    active: object, manifests: object, active_block: object, deltas: object, state: str
) -> None:
    store = {"active_manifest": active, "manifests": manifests}
    results = {"activeManifest": active_block, "ingredientDeltas": deltas}
    evidence = evidence_from_results(store, state, results)
    assert _summary(evidence).validation in ("valid", "untrusted", "invalid")


# ---------------------------------------------------------------- a real altered ingredient


@pytest.fixture(scope="module")
def creds() -> Credentials:
    return make_credentials()


def test_signed_file_whose_ingredient_manifest_was_altered(creds: Credentials) -> None:
    pixels = photo_like(96, 64, seed=2)
    generated = sign_c2pa(encode(pixels, "PNG"), "image/png", creds)
    with c2pa.Reader("image/png", io.BytesIO(generated)) as reader:
        generated_label = json.loads(reader.json())["active_manifest"]
    opened = {"action": "c2pa.opened", "parameters": {"ingredientIds": ["ingredient_1"]}}
    edit = {
        "claim_generator_info": [{"name": "photo editor"}],
        "assertions": [{"label": "c2pa.actions", "data": {"actions": [opened]}}],
    }
    edited = bytearray(
        sign_c2pa(
            encode(pixels[::-1].copy(), "PNG"),
            "image/png",
            creds,
            edit,
            ingredient=(generated, "image/png"),
        )
    )
    # Flip one byte of the generator's claim signature where the editor's store copied it.
    store_start = generated.find(b"caBX") + 4
    store_end = store_start + int.from_bytes(generated[store_start - 8 : store_start - 4], "big")
    tail = generated[store_end - 48 : store_end - 8]
    at = edited.find(tail)
    assert at > 0
    edited[at + 20] ^= 0x01

    report = analyze(bytes(edited), options=ProvenanceOptions(trust_anchors=(creds.root_pem,)))
    summary = next(e for e in report.evidence if e.source == "C2PA manifest store")
    assert summary.validation == "invalid"
    assert summary.problem != "untrusted_signer"  # the old, wrong reason
    assert summary.attributes["failing_manifest"] == generated_label
    assert summary.attributes["failing_code"] in (
        "claimSignature.mismatch",
        "ingredient.manifest.mismatch",
    )
    (ingredient,) = [e for e in report.evidence if e.source.endswith("ingredient manifest")]
    assert ingredient.attributes["manifest"] == generated_label
    assert report.verdict == "declared_ai"  # the generator's declaration is still there
