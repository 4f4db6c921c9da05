"""Factories for provenance tests: benign synthetic images and the markers tests add to them.

Images are gradients, shapes and noise; "videos" and HEIC files are minimal, well-formed ISO
BMFF files written here box by box, with no sample data beyond a few zero bytes. Markers: PNG
text chunks as generators write them, EXIF, XMP packets (also in TIFF and ISO BMFF), C2PA
manifests signed with the test CA (any format c2pa-python signs), stealth LSB payloads (alpha
and RGB), the Stable Diffusion ``dwtDct`` watermark embedded by a line-by-line transcription
of the reference ``imwatermark`` encoder (``reference_encode``; only OpenCV's colour
conversion and PyWavelets' Haar transform are replaced by their numpy equivalents, because
the reference package pulls OpenCV and torch), and a test CA.
"""

from __future__ import annotations

import gzip
import io
import json
import struct
import zlib
from typing import Literal

import c2pa
import numpy as np
from numpy.typing import NDArray
from PIL import Image, TiffImagePlugin

from amparo.media import synthetic
from amparo.provenance._credentials import Credentials as Credentials
from amparo.provenance._credentials import make_credentials as make_credentials

# ---------------------------------------------------------------- images


def photo_like(width: int = 384, height: int = 320, seed: int = 0) -> NDArray[np.uint8]:
    """A camera-like benign scene (``amparo.media.synthetic``) as an RGB array."""
    return np.asarray(synthetic.photo_like(width, height, seed=seed))


def encode(pixels: NDArray[np.uint8], fmt: str, **params: object) -> bytes:
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, fmt, **params)
    return out.getvalue()


def decode(data: bytes) -> NDArray[np.uint8]:
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("RGB"))


# ---------------------------------------------------------------- PNG chunks


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_insert(png: bytes, *chunks: bytes) -> bytes:
    """``png`` with ``chunks`` inserted right after IHDR."""
    ihdr_end = 8 + 12 + struct.unpack(">I", png[8:12])[0]
    return png[:ihdr_end] + b"".join(chunks) + png[ihdr_end:]


def text_chunk(key: str, value: str, kind: Literal["tEXt", "zTXt", "iTXt"] = "tEXt") -> bytes:
    if kind == "tEXt":
        return png_chunk(b"tEXt", key.encode("latin-1") + b"\0" + value.encode("latin-1"))
    if kind == "zTXt":
        return png_chunk(b"zTXt", key.encode("latin-1") + b"\0\0" + zlib.compress(value.encode()))
    return png_chunk(b"iTXt", key.encode("latin-1") + b"\0\0\0\0\0" + value.encode("utf-8"))


def png_with_text(pixels: NDArray[np.uint8], items: dict[str, str], kind: str = "tEXt") -> bytes:
    chunks = [text_chunk(k, v, kind) for k, v in items.items()]  # type: ignore[arg-type]
    return png_insert(encode(pixels, "PNG"), *chunks)


# ---------------------------------------------------------------- EXIF and XMP


def with_exif(
    pixels: NDArray[np.uint8], fmt: str, tags: dict[int, object], sub: dict[int, object]
) -> bytes:
    exif = Image.Exif()
    for tag, value in tags.items():
        exif[tag] = value
    if sub:
        exif.get_ifd(0x8769).update(sub)
    return encode(pixels, fmt, exif=exif.tobytes())


def user_comment(text: str) -> bytes:
    """EXIF UserComment as piexif (used by A1111) writes it: ``UNICODE\\0`` + UTF-16BE."""
    return b"UNICODE\0" + text.encode("utf-16-be")


def xmp(attributes: str = "", elements: str = "") -> bytes:
    return (
        '<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" '
        'xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" '
        f'xmlns:dcterms="http://purl.org/dc/terms/" {attributes}>{elements}'
        "</rdf:Description></rdf:RDF></x:xmpmeta>"
        '<?xpacket end="w"?>'
    ).encode()


def jpeg_with_xmp(pixels: NDArray[np.uint8], packet: bytes) -> bytes:
    body = b"http://ns.adobe.com/xap/1.0/\0" + packet
    segment = b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body
    jpeg = encode(pixels, "JPEG", quality=90)
    return jpeg[:2] + segment + jpeg[2:]


def tiff_with_xmp(pixels: NDArray[np.uint8], packet: bytes) -> bytes:
    """A TIFF whose first IFD has the XMP tag (700, type BYTE), as Pillow writes it."""
    info = TiffImagePlugin.ImageFileDirectory_v2()
    info[700] = packet
    info.tagtype[700] = 1
    return encode(pixels, "TIFF", tiffinfo=info)


# ---------------------------------------------------------------- ISO BMFF

C2PA_UUID = bytes.fromhex("d8fec3d61b0e483c92975828877ec481")
XMP_UUID = bytes.fromhex("be7acfcb97a942e89c71999491e3afac")


def box(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", 8 + len(body)) + kind + body


def full_box(kind: bytes, body: bytes, version: int = 0, flags: int = 0) -> bytes:
    return box(kind, bytes([version]) + flags.to_bytes(3, "big") + body)


def _mvhd() -> bytes:
    """A version-0 movie header: 1000 units a second, zero duration, identity matrix."""
    matrix = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
    body = struct.pack(">IIII", 0, 0, 1000, 0) + struct.pack(">IH", 0x10000, 0x100)
    return full_box(b"mvhd", body + b"\0" * 10 + matrix + b"\0" * 24 + struct.pack(">I", 2))


def ftyp(major: bytes, *compatible: bytes) -> bytes:
    return box(b"ftyp", major + b"\0\0\0\0" + b"".join(compatible))


def minimal_mp4(
    *,
    major: bytes = b"isom",
    compatible: tuple[bytes, ...] = (b"isom", b"mp41"),
    xmp_packet: bytes | None = None,
    udta_xmp: bytes | None = None,
) -> bytes:
    """ftyp, [XMP uuid box], moov (mvhd [, udta/XMP_]), mdat of zero bytes: no media at all."""
    udta = box(b"udta", box(b"XMP_", udta_xmp)) if udta_xmp is not None else b""
    parts = [ftyp(major, *compatible)]
    if xmp_packet is not None:
        parts.append(box(b"uuid", XMP_UUID + xmp_packet))
    parts += [box(b"moov", _mvhd() + udta), box(b"mdat", b"\0" * 64)]
    return b"".join(parts)


def minimal_heic(*, xmp_packet: bytes | None = None) -> bytes:
    """ftyp heic, a meta box with a picture handler and primary item, an empty-ish mdat."""
    handler = full_box(b"hdlr", b"\0" * 4 + b"pict" + b"\0" * 12 + b"\0")
    meta = full_box(b"meta", handler + full_box(b"pitm", struct.pack(">H", 1)))
    parts = [ftyp(b"heic", b"mif1", b"heic")]
    if xmp_packet is not None:
        parts.append(box(b"uuid", XMP_UUID + xmp_packet))
    return b"".join([*parts, meta, box(b"mdat", b"\0" * 16)])


def c2pa_uuid_box(purpose: bytes, payload: bytes = b"") -> bytes:
    offset = b"\0" * 8 if purpose != b"merkle" else b""
    return box(b"uuid", C2PA_UUID + b"\0\0\0\0" + purpose + b"\0" + offset + payload)


def top_level_boxes(data: bytes) -> list[tuple[bytes, bytes]]:
    """(type, whole box) of each top-level box of a well-formed 32-bit-size ISO BMFF file."""
    pos, boxes = 0, []
    while pos < len(data):
        (size,) = struct.unpack(">I", data[pos : pos + 4])
        boxes.append((data[pos + 4 : pos + 8], data[pos : pos + size]))
        pos += size
    return boxes


# ---------------------------------------------------------------- C2PA signing

TRAINED = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
DIGITAL_CAPTURE = "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture"


def c2pa_manifest(source_type: str = TRAINED, agent: str = "ExampleGen 2") -> dict[str, object]:
    action = {
        "action": "c2pa.created",
        "digitalSourceType": source_type,
        "softwareAgent": {"name": agent},
    }
    return {
        "claim_generator_info": [{"name": "provenance tests"}],
        "assertions": [{"label": "c2pa.actions", "data": {"actions": [action]}}],
    }


def sign_c2pa(
    data: bytes,
    mime: str,
    creds: Credentials,
    manifest: dict[str, object] | None = None,
    *,
    ingredient: tuple[bytes, str] | None = None,
) -> bytes:
    """``data`` with a C2PA manifest signed by ``creds`` (ES256), without a thumbnail.

    ``ingredient`` is (signed file, its MIME type), added as the ``parentOf`` ingredient that
    the manifest's ``c2pa.opened`` action must name; ``manifest`` then needs that action.
    """
    info = c2pa.C2paSignerInfo(c2pa.C2paSigningAlg.ES256, creds.chain_pem, creds.key_pem, None)
    context = c2pa.Context.from_dict({"builder": {"thumbnail": {"enabled": False}}})
    out = io.BytesIO()
    with (
        c2pa.Signer.from_info(info) as signer,
        c2pa.Builder.from_json(manifest or c2pa_manifest(), context) as builder,
    ):
        if ingredient is not None:
            parent = {"title": "parent", "relationship": "parentOf", "label": "ingredient_1"}
            builder.add_ingredient(parent, ingredient[1], io.BytesIO(ingredient[0]))
        builder.sign(signer, mime, io.BytesIO(data), out)
    return out.getvalue()


# ---------------------------------------------------------------- stealth LSB payloads


def stealth_alpha(
    rgb: NDArray[np.uint8], payload: bytes, *, magic: bytes, length_bits: int | None = None
) -> bytes:
    """A PNG whose alpha LSBs carry ``magic``, a bit length and ``payload`` column-major."""
    height, width = rgb.shape[:2]
    header = magic + struct.pack(">I", len(payload) * 8 if length_bits is None else length_bits)
    bits = np.unpackbits(np.frombuffer(header + payload, dtype=np.uint8))
    alpha = np.full(height * width, 254, dtype=np.uint8)
    alpha[: bits.size] |= bits
    alpha = alpha.reshape(width, height).T  # column-major order
    return encode(np.dstack([rgb, alpha]), "PNG")


def stealth_rgb(rgb: NDArray[np.uint8], payload: bytes, *, magic: bytes) -> bytes:
    """A PNG whose R, G, B LSBs carry ``magic``, a bit length and ``payload``, pixel by pixel
    down each column, as the SD WebUI stealth-pnginfo extension's ``rgb`` mode writes them."""
    height, width = rgb.shape[:2]
    header = magic + struct.pack(">I", len(payload) * 8)
    bits = np.unpackbits(np.frombuffer(header + payload, dtype=np.uint8))
    stream = (rgb.transpose(1, 0, 2).reshape(-1) & 0xFE).astype(np.uint8)
    stream[: bits.size] |= bits
    marked = stream.reshape(width, height, 3).transpose(1, 0, 2)
    return encode(np.ascontiguousarray(marked), "PNG")


def novelai_payload(model: str, prompt: str) -> bytes:
    meta = {
        "Software": "NovelAI",
        "Source": model,
        "Description": prompt,
        "Comment": json.dumps({"prompt": prompt, "steps": 28, "sampler": "k_euler"}),
    }
    return gzip.compress(json.dumps(meta).encode())


# ---------------------------------------------------------------- reference dwtDct encoder


def _bgr2yuv(bgr: NDArray[np.generic]) -> NDArray[np.generic]:
    """cv2.cvtColor(BGR2YUV): 8-bit rounds and offsets chroma by 128; float offsets by 0.5."""
    pixels = bgr.astype(np.float64)
    blue, green, red = pixels[..., 0], pixels[..., 1], pixels[..., 2]
    luma = 0.299 * red + 0.587 * green + 0.114 * blue
    if bgr.dtype == np.uint8:
        luma = np.rint(luma)
        u, v = 0.492 * (blue - luma) + 128, 0.877 * (red - luma) + 128
        return np.rint(np.stack([luma, u, v], -1)).clip(0, 255).astype(np.uint8)
    u, v = 0.492 * (blue - luma) + 0.5, 0.877 * (red - luma) + 0.5
    return np.stack([luma, u, v], -1).astype(bgr.dtype)


def _yuv2bgr(yuv: NDArray[np.generic]) -> NDArray[np.generic]:
    pixels = yuv.astype(np.float64)
    offset = 128.0 if yuv.dtype == np.uint8 else 0.5
    luma, u, v = pixels[..., 0], pixels[..., 1] - offset, pixels[..., 2] - offset
    bgr = np.stack([luma + 2.032 * u, luma - 0.395 * u - 0.581 * v, luma + 1.140 * v], -1)
    if yuv.dtype == np.uint8:
        return np.rint(bgr).clip(0, 255).astype(np.uint8)
    return bgr.astype(yuv.dtype)


def _haar_dwt2(
    x: NDArray[np.float64],
) -> tuple[NDArray[np.float64], tuple[NDArray[np.float64], ...]]:
    """pywt.dwt2(x, 'haar') for even-sized x: (cA, (cH, cV, cD))."""
    a, b, c, d = x[0::2, 0::2], x[0::2, 1::2], x[1::2, 0::2], x[1::2, 1::2]
    return (a + b + c + d) / 2, ((a + b - c - d) / 2, (a - b + c - d) / 2, (a - b - c + d) / 2)


def _haar_idwt2(
    ca: NDArray[np.float64], details: tuple[NDArray[np.float64], ...]
) -> NDArray[np.float64]:
    ch, cv, cd = details
    out = np.empty((ca.shape[0] * 2, ca.shape[1] * 2))
    out[0::2, 0::2] = (ca + ch + cv + cd) / 2
    out[0::2, 1::2] = (ca + ch - cv - cd) / 2
    out[1::2, 0::2] = (ca - ch + cv - cd) / 2
    out[1::2, 1::2] = (ca - ch - cv + cd) / 2
    return out


def reference_encode(bgr: NDArray[np.generic], watermarks: list[int]) -> NDArray[np.generic]:
    """imwatermark ``EmbedMaxDct.encode`` (method ``dwtDct``), transcribed loop for loop."""
    scales, block, wm_len = [0, 36, 36], 4, len(watermarks)
    row, col, _ = bgr.shape
    yuv = _bgr2yuv(bgr)
    for channel in range(2):
        if scales[channel] <= 0:
            continue
        ca1, (h1, v1, d1) = _haar_dwt2(
            yuv[: row // 4 * 4, : col // 4 * 4, channel].astype(np.float64)
        )
        num = 0
        for i in range(ca1.shape[0] // block):
            for j in range(ca1.shape[1] // block):
                blk = ca1[i * block : i * block + block, j * block : j * block + block]
                wm_bit = watermarks[num % wm_len]
                pos = int(np.argmax(abs(blk.flatten()[1:]))) + 1
                bi, bj = pos // block, pos % block
                val = blk[bi][bj]
                if val >= 0.0:
                    blk[bi][bj] = (val // scales[channel] + 0.25 + 0.5 * wm_bit) * scales[channel]
                else:
                    val = abs(val)
                    blk[bi][bj] = (
                        -1.0 * (val // scales[channel] + 0.25 + 0.5 * wm_bit) * scales[channel]
                    )
                num += 1
        restored = _haar_idwt2(ca1, (v1, h1, d1))  # the reference swaps cH and cV here
        if yuv.dtype == np.uint8:  # numpy's float->uint8 assignment truncates
            restored = np.clip(restored, 0, 255)
        yuv[: row // 4 * 4, : col // 4 * 4, channel] = restored
    return _yuv2bgr(yuv)


def bytes_bits(message: bytes) -> list[int]:
    return [int(b) for b in np.unpackbits(np.frombuffer(message, dtype=np.uint8))]


SDXL_BITS = [int(bit) for bit in bin(0b101100111110110010010000011110111011000110011110)[2:]]


def sd_script_watermark(rgb: NDArray[np.uint8], bits: list[int]) -> NDArray[np.uint8]:
    """As SD 1.x/2.x ``txt2img.py``: RGB -> BGR uint8, encode, back to RGB."""
    return np.ascontiguousarray(reference_encode(rgb[:, :, ::-1].copy(), bits)[:, :, ::-1]).astype(
        np.uint8
    )


def diffusers_sdxl_watermark(rgb: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """As diffusers' ``StableDiffusionXLWatermarker``: float32 RGB passed as if BGR."""
    marked = reference_encode(rgb.astype(np.float32), SDXL_BITS)
    return np.rint(np.asarray(marked, dtype=np.float64)).clip(0, 255).astype(np.uint8)


# ---------------------------------------------------------------- test CA


# The test CA is the one `amparo stamp` users try first (src, not duplicated here).
