"""``stamp``: label a generator's output so Amparo (and any C2PA reader) recognises it as AI-made.

Three marks, applied in this order because each later one covers the earlier ones:

1. optionally the ``dwtDct`` invisible watermark ``AmparoAI`` (re-encodes the pixels, so only
   for lossless PNG/WebP output: JPEG compression erases it);
2. an XMP packet with ``Iptc4xmpExt:DigitalSourceType`` = ``trainedAlgorithmicMedia``,
   ``AISystemUsed`` (and ``AISystemVersionUsed``) and a ``dcterms:provenance`` pointer to the
   embedded manifest (which lets a reader notice when the manifest alone is stripped);
3. a C2PA manifest with a ``c2pa.created`` action declaring ``trainedAlgorithmicMedia``,
   signed with the provider's certificate chain and key (Ed25519, ECDSA or RSA-PSS).

Don't stamp media that already carries a manifest you must keep: the new manifest replaces it.
"""

from __future__ import annotations

import datetime
import io
from typing import Any
from xml.sax.saxutils import quoteattr

import c2pa
import numpy as np
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from PIL import Image

import amparo
from amparo.errors import InputError, UnsupportedFormatError
from amparo.provenance._containers import read_container
from amparo.provenance._embed_xmp import with_xmp
from amparo.provenance._watermark import MIN_PIXELS, embed

__all__ = ["stamp"]

_MIME = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}
_TRAINED = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
_CURVES: dict[str, Any] = {
    "secp256r1": c2pa.C2paSigningAlg.ES256,
    "secp384r1": c2pa.C2paSigningAlg.ES384,
    "secp521r1": c2pa.C2paSigningAlg.ES512,
}


def stamp(
    data: bytes,
    *,
    generator: str,
    cert_pem: bytes,
    key_pem: bytes,
    watermark: bool = False,
    generator_version: str | None = None,
    tsa_url: str | None = None,
) -> bytes:
    """``data`` (PNG, JPEG or WebP) stamped as made by ``generator``; see the module doc.

    ``cert_pem`` is the signer's chain, leaf first (the CA root may be omitted); ``key_pem``
    its PKCS#8 private key. ``tsa_url``, when given, is an RFC 3161 timestamp authority the
    C2PA library calls. Raises :class:`~amparo.errors.InputError` subclasses for media,
    names, keys or certificates that cannot be used.
    """
    generator = generator.strip()
    if not generator or len(generator) > 200 or not generator.isprintable():
        raise InputError(
            "generator name must be 1-200 printable characters",
            hint="pass the product name, e.g. --generator 'ExampleGen 2'",
        )
    algorithm = _check_credentials(cert_pem, key_pem)
    fmt = read_container(data, max_text_bytes=1).format
    if fmt not in _MIME:
        raise UnsupportedFormatError(
            "only PNG, JPEG and WebP images can be stamped", hint="convert the image first"
        )
    if watermark:
        data = _watermarked(data, fmt)
    data = with_xmp(data, fmt, _xmp_packet(generator, generator_version))
    return _sign(
        data, _MIME[fmt], generator, generator_version, algorithm, cert_pem, key_pem, tsa_url
    )


def _check_credentials(cert_pem: bytes, key_pem: bytes) -> Any:
    """The C2PA algorithm for the key, after checking the key matches a current certificate."""
    try:
        leaf = x509.load_pem_x509_certificates(cert_pem)[0]
    except ValueError as exc:
        raise InputError(
            "the certificate is not a PEM certificate chain",
            hint="pass the provider's chain in PEM, leaf first",
        ) from exc
    try:
        key = serialization.load_pem_private_key(key_pem, password=None)
    except (ValueError, TypeError) as exc:
        raise InputError(
            "the key is not an unencrypted PEM private key",
            hint="export the signing key as unencrypted PKCS#8 PEM",
        ) from exc
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    encoding = serialization.Encoding.DER
    if key.public_key().public_bytes(encoding, public) != leaf.public_key().public_bytes(
        encoding, public
    ):
        raise InputError(
            "the key does not belong to the certificate",
            hint="pass the private key of the chain's first (leaf) certificate",
        )
    now = datetime.datetime.now(datetime.UTC)
    if not leaf.not_valid_before_utc <= now <= leaf.not_valid_after_utc:
        raise InputError(
            f"the certificate is not valid now (valid {leaf.not_valid_before_utc:%Y-%m-%d} to "
            f"{leaf.not_valid_after_utc:%Y-%m-%d})",
            hint="renew the signing certificate",
        )
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return c2pa.C2paSigningAlg.ED25519
    if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name in _CURVES:
        return _CURVES[key.curve.name]
    if isinstance(key, rsa.RSAPrivateKey):
        return c2pa.C2paSigningAlg.PS256
    raise InputError(
        "unsupported key type for C2PA signing",
        hint="use Ed25519, ECDSA P-256/P-384/P-521 or RSA keys",
    )


def _watermarked(data: bytes, fmt: str) -> bytes:
    if fmt == "jpeg":
        raise InputError(
            "the invisible watermark does not survive JPEG compression",
            hint="stamp a PNG or WebP, or leave out --watermark",
        )
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
        rgba = image.convert("RGBA" if has_alpha else "RGB")
    pixels = np.asarray(rgba)
    if pixels.shape[0] * pixels.shape[1] < MIN_PIXELS:
        raise InputError(
            "image too small for the watermark (needs at least 256x256 pixels)",
            hint="leave out --watermark for small images",
        )
    marked = embed(np.ascontiguousarray(pixels[:, :, :3]))
    if has_alpha:
        marked = np.dstack([marked, pixels[:, :, 3]])
    out = io.BytesIO()
    if fmt == "png":
        Image.fromarray(marked).save(out, "PNG")
    else:
        Image.fromarray(marked).save(out, "WEBP", lossless=True)
    return out.getvalue()


def _xmp_packet(generator: str, version: str | None) -> bytes:
    version_attr = f"\n    Iptc4xmpExt:AISystemVersionUsed={quoteattr(version)}" if version else ""
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
        ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        '  <rdf:Description rdf:about=""\n'
        '    xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"\n'
        '    xmlns:dcterms="http://purl.org/dc/terms/"\n'
        f'    Iptc4xmpExt:DigitalSourceType="{_TRAINED}"\n'
        f"    Iptc4xmpExt:AISystemUsed={quoteattr(generator)}{version_attr}\n"
        '    dcterms:provenance="self#jumbf=/c2pa"/>\n'
        " </rdf:RDF>\n"
        "</x:xmpmeta>\n"
        '<?xpacket end="r"?>'
    ).encode()


def _sign(
    data: bytes,
    mime: str,
    generator: str,
    version: str | None,
    algorithm: Any,
    cert_pem: bytes,
    key_pem: bytes,
    tsa_url: str | None,
) -> bytes:
    agent: dict[str, str] = {"name": generator}
    if version:
        agent["version"] = version
    manifest = {
        "claim_generator_info": [{"name": "Amparo", "version": amparo.__version__}],
        "assertions": [
            {
                "label": "c2pa.actions",
                "data": {
                    "actions": [
                        {
                            "action": "c2pa.created",
                            "digitalSourceType": _TRAINED,
                            "softwareAgent": agent,
                        }
                    ]
                },
            }
        ],
    }
    out = io.BytesIO()
    try:
        info = c2pa.C2paSignerInfo(algorithm, cert_pem, key_pem, tsa_url)
        context = c2pa.Context.from_dict({"builder": {"thumbnail": {"enabled": False}}})
        with (
            c2pa.Signer.from_info(info) as signer,
            c2pa.Builder.from_json(manifest, context) as builder,
        ):
            builder.sign(signer, mime, io.BytesIO(data), out)
    except c2pa.C2paError as exc:
        raise InputError(
            f"C2PA signing failed: {exc}",
            hint="the certificate must be an end-entity certificate with the digitalSignature "
            "key usage and an extended key usage C2PA accepts (e.g. emailProtection or "
            "documentSigning)",
        ) from exc
    return out.getvalue()
