"""Textures of ``sen/kubric-lite@1``: real photographs that ship on PyPI, cut into textures.

Backgrounds are crops of colour photographs from ``skimage.data`` and scikit-learn's
``load_sample_images``; object appearances are named categories: plain colours, procedural patterns
(striped, checkered, dotted) and photo textures (brick, grassy, stony, flowery, starry). The photos
are loaded and turned into image pyramids (full, 1/2, 1/4, 1/8 size) once per process, so a crop
can be taken at the level whose texel size matches the output pixel size.
"""

from __future__ import annotations

import functools
import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sen_core.errors import ConfigError

# colour photos used as backgrounds (none of them is also an object appearance)
_BACKGROUNDS = (
    "astronaut",
    "coffee",
    "chelsea",
    "rocket",
    "immunohistochemistry",
    "motorcycle",
    "china",
)
PHOTO_APPEARANCES = {  # appearance -> (photo, RGB tint applied to grayscale photos)
    "brick": ("brick", (1.0, 0.62, 0.48)),
    "grassy": ("grass", (0.55, 0.95, 0.45)),
    "stony": ("gravel", (0.9, 0.88, 0.85)),
    "flowery": ("flower", None),
    "starry": ("hubble_deep_field", None),
}
PATTERNS = ("striped", "checkered", "dotted")
COLOURS = {
    "red": (220, 40, 40),
    "green": (40, 190, 60),
    "blue": (50, 90, 235),
    "yellow": (240, 215, 40),
    "white": (240, 240, 240),
    "purple": (140, 60, 200),
}
APPEARANCES = (*COLOURS, *PATTERNS, *PHOTO_APPEARANCES)
_LEVELS = 4  # pyramid levels: 1, 1/2, 1/4, 1/8
_PATTERN_SIZE = 96
_PATTERN_VARIANTS = 6


# photo name -> (package, file inside it); read with PIL, without importing the (slow) packages
_FILES = {
    "astronaut": ("skimage", "data/astronaut.png"),
    "brick": ("skimage", "data/brick.png"),
    "chelsea": ("skimage", "data/chelsea.png"),
    "coffee": ("skimage", "data/coffee.png"),
    "grass": ("skimage", "data/grass.png"),
    "gravel": ("skimage", "data/gravel.png"),
    "hubble_deep_field": ("skimage", "data/hubble_deep_field.jpg"),
    "immunohistochemistry": ("skimage", "data/ihc.png"),
    "motorcycle": ("skimage", "data/motorcycle_left.png"),
    "rocket": ("skimage", "data/rocket.jpg"),
    "china": ("sklearn", "datasets/images/china.jpg"),
    "flower": ("sklearn", "datasets/images/flower.jpg"),
}


def photo_path(name: str) -> Path:
    """Where photo ``name`` lies inside the installed package that ships it."""
    package, rel = _FILES[name]
    spec = importlib.util.find_spec(package)  # locates the package without importing it
    path = Path(next(iter(spec.submodule_search_locations or ()), "")) / rel if spec else None
    if path is None or not path.is_file():
        raise ConfigError(
            f"sen/kubric-lite@1 cuts its textures from the sample photos of scikit-image and "
            f"scikit-learn: '{rel}' of '{package}' is missing (pip install scikit-image scikit-learn)"
        )
    return path


def _load_photo(name: str) -> np.ndarray:
    """One photo as uint8 (H, W, 3)."""
    from PIL import Image

    with Image.open(photo_path(name)) as im:
        return np.ascontiguousarray(np.asarray(im.convert("RGB"), dtype=np.uint8))


def _pyramid(img: np.ndarray) -> tuple[np.ndarray, ...]:
    """The photo at full, 1/2, 1/4 and 1/8 size (area-averaged, so small levels do not alias)."""
    from PIL import Image

    out = [img]
    pil = Image.fromarray(img)
    for level in range(1, _LEVELS):
        f = 2**level
        size = (max(8, img.shape[1] // f), max(8, img.shape[0] // f))
        out.append(np.asarray(pil.resize(size, Image.Resampling.BOX)))
    return tuple(out)


def _tinted(img: np.ndarray, tint: tuple[float, float, float] | None) -> np.ndarray:
    if tint is None:
        return img
    return np.clip(img.astype(np.float32) * np.asarray(tint, np.float32), 0, 255).astype(np.uint8)


def _pattern(kind: str, rng: np.random.Generator) -> np.ndarray:
    """A two-colour procedural pattern, uint8 (P, P, 3)."""
    names = list(COLOURS)
    a, b = rng.choice(len(names), size=2, replace=False)
    ca, cb = np.asarray(COLOURS[names[a]], np.uint8), np.asarray(COLOURS[names[b]], np.uint8)
    n = _PATTERN_SIZE
    y, x = np.mgrid[0:n, 0:n].astype(np.float32)
    period = float(rng.uniform(24, 34))  # 3-4 periods across an object: readable at 64 px
    if kind == "striped":
        angle = float(rng.uniform(0, np.pi))
        m = ((x * np.cos(angle) + y * np.sin(angle)) // (period / 2)) % 2 == 0
    elif kind == "checkered":
        m = ((x // (period / 2)) + (y // (period / 2))) % 2 == 0
    else:  # dotted
        cx, cy = (x % period) - period / 2, (y % period) - period / 2
        m = cx * cx + cy * cy <= (period * 0.28) ** 2
    return np.where(m[..., None], ca, cb).astype(np.uint8)


@dataclass(frozen=True)
class TextureBank:
    """Everything textures are cut from, built once per process (see :func:`texture_bank`)."""

    backgrounds: tuple[tuple[str, tuple[np.ndarray, ...]], ...]
    photos: dict[str, tuple[np.ndarray, ...]]  # photo appearance -> pyramid
    patterns: dict[str, tuple[np.ndarray, ...]]  # pattern -> variants
    colours: dict[str, np.ndarray]  # colour -> (1, 1, 3)

    def background(self, rng: np.random.Generator, texels: float) -> tuple[str, np.ndarray]:
        """A random square photo crop with at least ``texels`` texels a side where possible."""
        name, pyr = self.backgrounds[int(rng.integers(len(self.backgrounds)))]
        side = int(min(pyr[0].shape[:2]) * rng.uniform(0.55, 0.95))
        return name, _crop(pyr, side, texels, rng)

    def appearance(self, name: str, rng: np.random.Generator, texels: float) -> np.ndarray:
        """A texture of appearance ``name`` as uint8 (h, w, 3), about ``texels`` texels a side."""
        if name in self.colours:
            return self.colours[name]
        if name in self.patterns:
            variants = self.patterns[name]
            return variants[int(rng.integers(len(variants)))]
        pyr = self.photos[name]
        side = int(min(pyr[0].shape[:2]) * rng.uniform(0.2, 0.35))
        return _crop(pyr, side, texels, rng)


def _crop(pyr: tuple[np.ndarray, ...], side: int, texels: float, rng: np.random.Generator) -> Any:
    """A ``side``-pixel (full-resolution) square crop, from the smallest level keeping ``texels``."""
    level = 0
    while level + 1 < len(pyr) and side / 2 ** (level + 1) >= texels:
        level += 1
    img = pyr[level]
    s = max(2, min(side // 2**level, *img.shape[:2]))
    y = int(rng.integers(img.shape[0] - s + 1))
    x = int(rng.integers(img.shape[1] - s + 1))
    return img[y : y + s, x : x + s]


@functools.lru_cache(maxsize=1)
def texture_bank() -> TextureBank:
    """The process-wide texture bank (photos loaded and cut once; a fixed RNG for the patterns)."""
    photos_needed = {*_BACKGROUNDS, *(p for p, _ in PHOTO_APPEARANCES.values())}
    photos = {name: _load_photo(name) for name in sorted(photos_needed)}
    rng = np.random.default_rng(20240)
    return TextureBank(
        backgrounds=tuple((n, _pyramid(photos[n])) for n in _BACKGROUNDS),
        photos={a: _pyramid(_tinted(photos[p], t)) for a, (p, t) in PHOTO_APPEARANCES.items()},
        patterns={k: tuple(_pattern(k, rng) for _ in range(_PATTERN_VARIANTS)) for k in PATTERNS},
        colours={k: np.asarray(v, np.uint8).reshape(1, 1, 3) for k, v in COLOURS.items()},
    )
