"""Rendering a ``Scene`` to frames, the per-pixel owner map, and point tracks with exact visibility.

Every pixel is sampled at its centre (nearest texel): the background through the camera, then the
objects bottom to top. ``owner[t, i, j]`` is the id of the topmost object at pixel (i, j) of frame
t (-1: background). A tracked point is visible at frame t exactly when it lies inside the frame
and the pixel that contains it is owned by the thing the point is attached to; otherwise it is
occluded (covered by a higher layer, or out of frame).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .scene import Scene

_S3 = float(np.sqrt(3.0))
# radius of the disc (in the shape's unit coordinates) where points on an object are placed
INNER = {"disc": 0.8, "box": 0.7, "triangle": 0.42, "diamond": 0.6}


def shape_mask(shape: str, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Inside test in the object's unit coordinates (u, v) in [-1, 1]; broadcasts."""
    if shape == "disc":
        return u * u + v * v <= 1.0
    if shape == "box":
        return (np.abs(u) <= 0.8) & (np.abs(v) <= 0.8)
    if shape == "diamond":
        return np.abs(u) + np.abs(v) <= 1.0
    # upward triangle, centroid at the origin, circumradius 1
    return (v <= 0.5) & (_S3 * u - v <= 1.0) & (-_S3 * u - v <= 1.0)


@dataclass
class Rendered:
    video: np.ndarray  # uint8 (T, S, S, 3)
    owner: np.ndarray  # int8 (T, S, S), -1 = background
    area: np.ndarray  # int64 (K, T): pixels each object covers before occlusion
    hidden_by: np.ndarray  # int64 (K, K, T): pixels of object j covered by object k


def screen(scene: Scene, world: np.ndarray) -> np.ndarray:
    """World points (..., T, 2) -> pixel (x, y) at each frame."""
    return (world - scene.cam) * (scene.zoom[:, None] * scene.size)


def object_screen(scene: Scene, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Object k's centre (T, 2) in pixels and radius (T,) in pixels."""
    o = scene.objects[k]
    return screen(scene, o.centre), o.radius * scene.zoom * scene.size


def render(scene: Scene) -> Rendered:
    T, S, K = scene.frames, scene.size, len(scene.objects)
    px = np.arange(S, dtype=np.float64) + 0.5
    scale = 1.0 / (scene.zoom * S)  # world units per pixel, (T,)
    bg = scene.background
    n = bg.shape[0]
    wx = scene.cam[:, 0:1] + px[None, :] * scale[:, None]  # (T, S)
    wy = scene.cam[:, 1:2] + px[None, :] * scale[:, None]
    ix = np.clip(((wx - scene.bg_origin[0]) / scene.bg_side * n).astype(np.intp), 0, n - 1)
    iy = np.clip(
        ((wy - scene.bg_origin[1]) / scene.bg_side * bg.shape[0]).astype(np.intp), 0, n - 1
    )
    # flat indices throughout: one integer gather is much cheaper than multi-array fancy indexing
    flat_bg = (iy[:, :, None] * n + ix[:, None, :]).reshape(-1)
    video = np.take(bg.reshape(-1, 3), flat_bg, axis=0).reshape(T, S, S, 3)
    pixels = video.reshape(-1, 3)
    owner = np.full((T, S, S), -1, np.int8)
    owned = owner.reshape(-1)
    area = np.zeros((K, T), np.int64)
    hidden_by = np.zeros((K, K, T), np.int64)
    for k in scene.order:
        obj = scene.objects[k]
        c, r = object_screen(scene, k)
        x0 = int(np.clip(np.floor((c[:, 0] - r).min()), 0, S))
        x1 = int(np.clip(np.ceil((c[:, 0] + r).max()) + 1, 0, S))
        y0 = int(np.clip(np.floor((c[:, 1] - r).min()), 0, S))
        y1 = int(np.clip(np.ceil((c[:, 1] + r).max()) + 1, 0, S))
        if x0 >= x1 or y0 >= y1:
            continue
        u = (px[None, x0:x1] - c[:, 0:1]) / r[:, None]  # (T, w)
        v = (px[None, y0:y1] - c[:, 1:2]) / r[:, None]  # (T, h)
        mask = shape_mask(obj.shape, u[:, None, :], v[:, :, None])  # (T, h, w)
        tt, yy, xx = np.nonzero(mask)
        if not len(tt):
            continue
        tex = obj.texture
        th, tw = tex.shape[:2]
        tu = np.minimum(((u + 1.0) * (0.5 * tw)).astype(np.intp), tw - 1)  # u >= -1: no lower clip
        tv = np.minimum(((v + 1.0) * (0.5 * th)).astype(np.intp), th - 1)
        w = x1 - x0
        flat = (tt * S + (yy + y0)) * S + (xx + x0)
        below = owned[flat]
        covered = below >= 0
        if covered.any():
            idx = below[covered].astype(np.intp) * T + tt[covered]
            hidden_by[:, k, :] += np.bincount(idx, minlength=K * T).reshape(K, T)
        area[k] = np.bincount(tt, minlength=T)
        owned[flat] = k
        tex_flat = tv.reshape(-1)[tt * (y1 - y0) + yy] * tw + tu.reshape(-1)[tt * w + xx]
        pixels[flat] = np.take(tex.reshape(-1, 3), tex_flat, axis=0)
    return Rendered(video, owner, area, hidden_by)


def visibility(owner: np.ndarray, xy: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """(N, T) bool: point n (track ``xy[n]``, attached to ``ids[n]``, -1 = background) is visible."""
    T, S = owner.shape[0], owner.shape[1]
    x, y = xy[..., 0], xy[..., 1]
    inside = (x >= 0) & (x < S) & (y >= 0) & (y < S)
    xi = np.clip(np.floor(x).astype(np.intp), 0, S - 1)
    yi = np.clip(np.floor(y).astype(np.intp), 0, S - 1)
    return inside & (owner[np.arange(T)[None, :], yi, xi] == ids[:, None])


def sample_tracks(
    scene: Scene, owner: np.ndarray, rng: np.random.Generator, num_points: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``num_points`` tracks, each visible at least once: about half on objects (half of those on
    the target), the rest on the background. Returns tracks (Q, T, 2) float32 px, visible (Q, T),
    query points (Q, 3) as (t, x, y), and the id each point is attached to (Q,) (-1 background)."""
    T, S, K = scene.frames, scene.size, len(scene.objects)
    Q = num_points
    n_obj = Q // 2 if K else 0
    cand = 3 * Q + 8
    # object candidates: target for the first half, then the other objects
    ids = np.where(rng.random(cand) < 0.5, 0, rng.integers(0, K, cand)) if K else np.zeros(0, int)
    rho = np.sqrt(rng.random(len(ids)))
    phi = rng.uniform(0, 2 * np.pi, len(ids))
    inner = np.array([INNER[scene.objects[k].shape] for k in ids])
    uv = np.stack([rho * np.cos(phi), rho * np.sin(phi)], axis=1) * inner[:, None]
    obj_xy = np.zeros((len(ids), T, 2))
    for k in range(K):
        sel = ids == k
        if sel.any():
            c, r = object_screen(scene, k)
            obj_xy[sel] = c[None] + uv[sel][:, None, :] * r[None, :, None]
    # background candidates: a random pixel position of a random frame, fixed in the world
    t0 = rng.integers(0, T, cand)
    p0 = rng.uniform(0, S, (cand, 2))
    world = scene.cam[t0] + p0 / (scene.zoom[t0, None] * S)
    bg_xy = screen(scene, world[:, None, :])
    obj_xy, bg_xy = obj_xy.astype(np.float32), bg_xy.astype(np.float32)
    obj_vis = visibility(owner, obj_xy, ids) if len(ids) else np.zeros((0, T), bool)
    bg_vis = visibility(owner, bg_xy, np.full(cand, -1))
    ok_obj = np.flatnonzero(obj_vis.any(axis=1))[:n_obj]
    ok_bg = np.flatnonzero(bg_vis.any(axis=1))[: Q - len(ok_obj)]
    tracks = np.concatenate([obj_xy[ok_obj], bg_xy[ok_bg]])
    visible = np.concatenate([obj_vis[ok_obj], bg_vis[ok_bg]])
    owner_ids = np.concatenate([ids[ok_obj], np.full(len(ok_bg), -1)]).astype(np.int64)
    if len(tracks) < Q:  # a scene almost entirely covered: repeat the tracks we have
        reps = np.resize(np.arange(len(tracks)), Q)
        tracks, visible, owner_ids = tracks[reps], visible[reps], owner_ids[reps]
    qt = np.argmax(rng.random((Q, T)) * visible, axis=1)
    q = np.arange(Q)
    qpts = np.stack([qt.astype(np.float32), tracks[q, qt, 0], tracks[q, qt, 1]], axis=1)
    return tracks, visible, qpts.astype(np.float32), owner_ids
