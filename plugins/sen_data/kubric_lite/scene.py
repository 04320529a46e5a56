"""Scenes of ``sen/kubric-lite@1``: objects and a camera in world coordinates, drawn from one RNG.

World units: 1.0 is the frame width at zoom 1; the camera at frame t shows the world square
``[cam[t], cam[t] + 1 / zoom[t]]``, so a world point w lands at pixel ``(w - cam[t]) * zoom[t] * S``.
Object 0 is the **target** (its shape x motion is the class); the others are distractors.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

SHAPES = ("disc", "box", "triangle", "diamond")
MOTIONS = (
    "left",
    "right",
    "up",
    "down",
    "up-left",
    "up-right",
    "down-left",
    "down-right",
    "static",
)
_D = 1 / np.sqrt(2)
DIRECTION = {  # image axes: x to the right, y downwards
    "left": (-1.0, 0.0),
    "right": (1.0, 0.0),
    "up": (0.0, -1.0),
    "down": (0.0, 1.0),
    "up-left": (-_D, -_D),
    "up-right": (_D, -_D),
    "down-left": (-_D, _D),
    "down-right": (_D, _D),
    "static": (0.0, 0.0),
}


@dataclass
class SceneObject:
    """One object: its shape, named appearance, texture and per-frame world centre and radius."""

    shape: str
    appearance: str
    motion: str
    texture: np.ndarray  # uint8 (h, w, 3), stretched over the shape's [-1, 1]^2 box
    centre: np.ndarray  # (T, 2) world x, y
    radius: np.ndarray  # (T,) world units
    moving: tuple[int, int] = (0, 0)  # frames [m0, m1) during which it moves

    @property
    def name(self) -> str:
        return f"{self.appearance} {self.shape}"


@dataclass
class Scene:
    """A whole clip before rendering; ``order`` lists object ids bottom to top."""

    frames: int
    size: int
    background: np.ndarray  # uint8 (B, B, 3), covering the world square bg_origin + [0, bg_side]
    bg_origin: np.ndarray  # (2,) world x, y
    bg_side: float
    cam: np.ndarray  # (T, 2) world x, y of the frame's top-left corner
    zoom: np.ndarray  # (T,) pixels per world unit / S
    objects: list[SceneObject]
    order: list[int]
    camera_motion: str = "still"
    meta: dict[str, str] = field(default_factory=dict)


def _camera(
    rng: np.random.Generator, T: int, pan: float, zoom: float
) -> tuple[np.ndarray, np.ndarray, str]:
    """Pan (linear, or out and back) and zoom; the view centre starts near the world centre."""
    s = np.linspace(0.0, 1.0, T)
    kind = int(rng.integers(3))  # 0 still-ish, 1 linear, 2 out and back
    direction = rng.normal(size=2)
    direction /= np.linalg.norm(direction) + 1e-9
    amp = float(rng.uniform(0.5, 1.0)) * pan
    path = s if kind == 1 else (1 - np.abs(2 * s - 1)) if kind == 2 else 0.15 * s
    centre = 0.5 + (path[:, None] - path.mean()) * amp * direction[None, :]
    z_end = float(rng.uniform(-zoom, zoom))
    z = np.exp(z_end * s)
    cam = centre - 0.5 / z[:, None]
    if kind == 1 and amp > 0.5 * pan:
        horiz = abs(direction[0]) >= abs(direction[1])
        word = (
            ("right" if direction[0] > 0 else "left")
            if horiz
            else ("down" if direction[1] > 0 else "up")
        )
        label = f"pans {word}"
    elif abs(z_end) > 0.6 * zoom and zoom > 0:
        label = "zooms in" if z_end > 0 else "zooms out"
    else:
        label = "still"
    return cam, z, label


def _path(
    rng: np.random.Generator,
    T: int,
    motion: str,
    travel: float,
    mid: np.ndarray,
    span: tuple[int, int],
) -> np.ndarray:
    """World centres (T, 2): still before span[0], straight line to span[1] - 1, still after."""
    m0, m1 = span
    t = np.arange(T, dtype=np.float64)
    prog = np.clip((t - m0) / max(1, m1 - 1 - m0), 0.0, 1.0) if m1 - m0 >= 2 else np.zeros(T)
    d = np.asarray(DIRECTION[motion]) * travel
    return mid[None, :] + (prog[:, None] - 0.5) * d[None, :]


def sample_scene(
    rng: np.random.Generator,
    *,
    frames: int,
    size: int,
    num_objects: int,
    shapes: tuple[str, ...],
    motions: tuple[str, ...],
    appearances: tuple[str, ...],
    label: int,
    camera_pan: float,
    camera_zoom: float,
    bank,  # TextureBank
) -> Scene:
    """Draw one scene; the target's (shape, motion) is class ``label`` of shapes x motions."""
    T, S = frames, size
    cam, zoom, cam_label = _camera(rng, T, camera_pan, camera_zoom)
    zmax = float(zoom.max())

    # background square covering every view (plus a margin), cut from one photo
    lo = (cam).min(axis=0)
    hi = (cam + 1.0 / zoom[:, None]).max(axis=0)
    side = float((hi - lo).max()) + 0.02
    origin = (lo + hi) / 2 - side / 2
    bg_name, bg = bank.background(rng, texels=side * S * zmax)

    shape, motion = shapes[label // len(motions)], motions[label % len(motions)]
    objects: list[SceneObject] = []
    taken: set[tuple[str, str]] = set()
    for k in range(num_objects):
        if k == 0:
            shp, mot = shape, motion
            app = appearances[int(rng.integers(len(appearances)))]
        else:
            for _ in range(
                32
            ):  # distractors: a name of their own; the target's shape moves otherwise
                shp = SHAPES[int(rng.integers(len(SHAPES)))]
                app = appearances[int(rng.integers(len(appearances)))]
                mot = MOTIONS[int(rng.integers(len(MOTIONS)))]
                if (app, shp) not in taken and not (shp == shape and mot == motion):
                    break
        taken.add((app, shp))
        r0 = float(rng.uniform(0.09, 0.15))
        growth = float(rng.uniform(-0.35, 0.35))
        radius = r0 * np.exp(growth * (np.linspace(0, 1, T) - 0.5))
        if k == 0:
            # mid-clip position in the same central square for every motion; moves on >= half the clip
            length = int(rng.integers(max(2, (T + 1) // 2), T + 1))
            m0 = int(rng.integers(0, T - length + 1))
            span = (m0, m0 + length)
            travel = float(rng.uniform(0.35, 0.6))
            mid = rng.uniform(0.3, 0.7, size=2)
        else:
            span = (0, T)
            travel = float(rng.uniform(0.3, 1.0))
            mid = rng.uniform(0.05, 0.95, size=2)
        centre = (
            _path(rng, T, mot, travel, mid, span) if mot != "static" else np.repeat(mid[None], T, 0)
        )
        tex = bank.appearance(app, rng, texels=2 * r0 * S * zmax * 1.5)
        objects.append(
            SceneObject(shp, app, mot, tex, centre, radius, span if mot != "static" else (0, 0))
        )
    order = [int(i) for i in rng.permutation(num_objects)]
    return Scene(
        frames=T,
        size=S,
        background=bg,
        bg_origin=origin,
        bg_side=side,
        cam=cam,
        zoom=zoom,
        objects=objects,
        order=order,
        camera_motion=cam_label,
        meta={"background": bg_name},
    )
