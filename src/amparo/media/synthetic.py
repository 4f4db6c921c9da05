"""Benign synthetic images: gradients, checkerboards, shapes, text, noise and photo-like scenes.

Used by ``amparo demo`` (which needs "known" images at runtime without shipping any real
media), by the benchmarks and by the tests. Every image is drawn from numbers with Pillow and
numpy, so it is deterministic for a given ``seed`` and size, and it depicts nothing: never
add generators that draw people or load images from elsewhere.

``variant`` applies the everyday edits a re-shared copy goes through (resize, slight crop,
JPEG re-encode, rotation, mirror, brightness), so a demo or test can show that PDQ still
finds the copy.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont

__all__ = [
    "KINDS",
    "VARIANTS",
    "Kind",
    "VariantName",
    "checkerboard",
    "encode",
    "gradient",
    "make",
    "noise",
    "photo_like",
    "shapes",
    "text",
    "variant",
]

Kind = Literal["gradient", "checkerboard", "shapes", "text", "noise", "photo_like"]
VariantName = Literal[
    "resize_half", "crop_slightly", "jpeg_q70", "rotate90", "flip", "brighter", "darker"
]


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def _axes(width: int, height: int) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Column and row coordinates in [0, 1], shaped for broadcasting (1, w) and (h, 1)."""
    xs = np.linspace(0.0, 1.0, width, dtype=np.float32)[np.newaxis, :]
    ys = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, np.newaxis]
    return xs, ys


def _to_image(channels: list[NDArray[np.float32]]) -> Image.Image:
    """Stack float channels in [0, 255] into an RGB image."""
    stacked = np.stack([np.clip(c, 0, 255) for c in channels], axis=-1)
    return Image.fromarray(stacked.astype(np.uint8), "RGB")


def gradient(width: int, height: int, *, seed: int = 0) -> Image.Image:
    """A smooth RGB gradient whose directions and curvature depend on ``seed``."""
    rng = _rng(seed)
    xs, ys = _axes(width, height)
    channels = []
    for _ in range(3):
        a, b, c = rng.uniform(-1.0, 1.0, size=3)
        freq = rng.uniform(0.5, 2.5)
        phase = rng.uniform(0, np.pi)
        wave = np.sin(freq * np.pi * (a * xs + b * ys) + phase) + c * (xs - ys) ** 2
        channels.append((wave * 60.0 + 128.0).astype(np.float32))
    return _to_image(channels)


def checkerboard(width: int, height: int, *, seed: int = 0) -> Image.Image:
    """A two-colour checkerboard; ``seed`` picks the cell count and colours."""
    rng = _rng(seed)
    cells = int(rng.integers(4, 16))
    cell = max(1, min(width, height) // cells)
    yy, xx = np.indices((height, width), dtype=np.int32)
    mask = ((xx // cell + yy // cell) % 2).astype(bool)
    colours = rng.integers(0, 256, size=(2, 3), dtype=np.uint8)
    pixels = np.where(mask[..., np.newaxis], colours[0], colours[1]).astype(np.uint8)
    return Image.fromarray(pixels, "RGB")


def shapes(width: int, height: int, *, seed: int = 0, count: int = 12) -> Image.Image:
    """Rectangles, ellipses and polygons in random colours over a gradient."""
    rng = _rng(seed)
    image = gradient(width, height, seed=seed + 1)
    draw = ImageDraw.Draw(image)
    for _ in range(count):
        x0, x1 = sorted(int(v) for v in rng.integers(0, width, size=2))
        y0, y1 = sorted(int(v) for v in rng.integers(0, height, size=2))
        fill = tuple(int(v) for v in rng.integers(0, 256, size=3))
        kind = int(rng.integers(0, 3))
        if kind == 0:
            draw.rectangle((x0, y0, x1, y1), fill=fill)
        elif kind == 1:
            draw.ellipse((x0, y0, x1, y1), fill=fill)
        else:
            points = [(int(rng.integers(0, width)), int(rng.integers(0, height))) for _ in range(3)]
            draw.polygon(points, fill=fill)
    return image


def text(width: int, height: int, *, seed: int = 0, words: str = "AMPARO TEST") -> Image.Image:
    """Lines of dark text on a light background (Pillow's bundled font)."""
    rng = _rng(seed)
    background = tuple(int(v) for v in rng.integers(190, 256, size=3))
    image = Image.new("RGB", (width, height), background)
    draw = ImageDraw.Draw(image)
    size = max(8, height // 8)
    font = ImageFont.load_default(size=size)
    for line in range(6):
        ink = tuple(int(v) for v in rng.integers(0, 90, size=3))
        x = int(rng.integers(0, max(1, width // 6)))
        draw.text((x, line * size * 1.3 + size // 4), f"{words} {seed}-{line}", fill=ink, font=font)
    return image


def noise(width: int, height: int, *, seed: int = 0) -> Image.Image:
    """Smooth value noise (coarse random values, upsampled) plus fine per-pixel noise."""
    rng = _rng(seed)
    coarse = rng.integers(0, 256, size=(max(2, height // 64), max(2, width // 64), 3))
    smooth = Image.fromarray(coarse.astype(np.uint8), "RGB").resize(
        (width, height), Image.Resampling.BICUBIC
    )
    fine = rng.normal(0.0, 12.0, size=(height, width, 3)).astype(np.float32)
    pixels = np.asarray(smooth, dtype=np.float32) + fine
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")


def photo_like(width: int, height: int, *, seed: int = 0) -> Image.Image:
    """A "photo-like" scene: gradient sky, soft shapes, blur and sensor-like noise."""
    rng = _rng(seed)
    image = shapes(width, height, seed=seed, count=20)
    image = image.filter(ImageFilter.GaussianBlur(radius=max(1.0, min(width, height) / 400)))
    pixels = np.asarray(image, dtype=np.float32)
    grain = rng.normal(0.0, 6.0, size=(height, width, 1)).astype(np.float32)
    return Image.fromarray(np.clip(pixels + grain, 0, 255).astype(np.uint8), "RGB")


KINDS: dict[Kind, Callable[..., Image.Image]] = {
    "gradient": gradient,
    "checkerboard": checkerboard,
    "shapes": shapes,
    "text": text,
    "noise": noise,
    "photo_like": photo_like,
}


def make(kind: Kind, width: int, height: int, *, seed: int = 0) -> Image.Image:
    """The image of ``kind`` at ``width`` x ``height`` for ``seed`` (an RGB image)."""
    return KINDS[kind](width, height, seed=seed)


def encode(image: Image.Image, fmt: str = "JPEG", *, quality: int = 90) -> bytes:
    """Encode ``image`` as ``fmt`` (a Pillow format name); ``quality`` applies to JPEG/WebP."""
    buffer = io.BytesIO()
    if fmt.upper() in {"JPEG", "WEBP"}:
        image.save(buffer, fmt, quality=quality)
    else:
        image.save(buffer, fmt)
    return buffer.getvalue()


def _jpeg_q70(image: Image.Image) -> Image.Image:
    with Image.open(io.BytesIO(encode(image.convert("RGB"), "JPEG", quality=70))) as copy:
        copy.load()
        return copy.copy()


def _crop_slightly(image: Image.Image) -> Image.Image:
    dx, dy = image.width // 100, image.height // 100
    return image.crop((dx, dy, image.width - dx, image.height - dy))


VARIANTS: dict[VariantName, Callable[[Image.Image], Image.Image]] = {
    "resize_half": lambda im: im.resize(
        (max(1, im.width // 2), max(1, im.height // 2)), Image.Resampling.LANCZOS
    ),
    "crop_slightly": _crop_slightly,
    "jpeg_q70": _jpeg_q70,
    "rotate90": lambda im: im.transpose(Image.Transpose.ROTATE_90),
    "flip": lambda im: im.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
    "brighter": lambda im: ImageEnhance.Brightness(im).enhance(1.3),
    "darker": lambda im: ImageEnhance.Brightness(im).enhance(0.75),
}


def variant(image: Image.Image, name: VariantName) -> Image.Image:
    """``image`` after one everyday edit (see :data:`VARIANTS`); the input is not changed."""
    return VARIANTS[name](image)
