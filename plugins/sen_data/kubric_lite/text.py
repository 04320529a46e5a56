"""Compositional ground truth of ``sen/kubric-lite@1``: class names, captions, QA and moment queries.

Everything is read off the scene and its rendering: which way the target moves (relative to the
world, not the screen), which objects pass behind which (pixels covered in the owner map), when the
target moves and when it is out of view.
"""

from __future__ import annotations

import numpy as np

from .render import Rendered
from .scene import Scene

# an object counts as behind another on a frame when at least this fraction of it is covered
BEHIND_FRACTION = 0.15


def class_name(shape: str, motion: str) -> str:
    """'a disc moving left', 'a box moving up-left', 'a triangle standing still'."""
    return f"a {shape} standing still" if motion == "static" else f"a {shape} moving {motion}"


def _moves(motion: str) -> str:
    return "stays still" if motion == "static" else f"moves {motion}"


def runs(frames: np.ndarray) -> list[tuple[int, int]]:
    """Maximal runs [a, b) of true entries of a (T,) bool array."""
    edges = np.diff(np.concatenate([[0], frames.astype(np.int8), [0]]))
    return list(
        zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist(), strict=True)
    )


def behind(rendered: Rendered, j: int, k: int) -> np.ndarray:
    """(T,) bool: object j is behind object k (k covers >= BEHIND_FRACTION of j) on each frame."""
    area = rendered.area[j]
    return (area > 0) & (rendered.hidden_by[j, k] >= BEHIND_FRACTION * np.maximum(area, 1))


def ground_truth(scene: Scene, rendered: Rendered, rng: np.random.Generator) -> dict[str, object]:
    """caption, question/answer, query + moments (K, 2) fractions + saliency (T,)."""
    T = scene.frames
    objs = scene.objects
    target = objs[0]
    K = len(objs)
    behind_of = {k: behind(rendered, 0, k) for k in range(1, K)}
    covers = {j: behind(rendered, j, 0) for j in range(1, K)}

    caption = f"the {target.name} {_moves(target.motion)}"
    back = [k for k in behind_of if behind_of[k].any()]
    front = [j for j in covers if covers[j].any()]
    if back:
        caption += f" and passes behind the {objs[back[0]].name}"
    elif front:
        caption += f" and passes in front of the {objs[front[0]].name}"
    elif K > 1:
        caption += f", with the {objs[1].name} nearby"
    if scene.camera_motion != "still":
        caption += f", as the camera {scene.camera_motion}"

    # moment queries that need appearance (which object) and motion or layering (when)
    queries: list[tuple[str, np.ndarray]] = []
    if target.motion != "static":
        m0, m1 = target.moving
        f = np.zeros(T, bool)
        f[m0:m1] = True
        queries.append((f"the {target.name} moves {target.motion}", f))
    for k in back:
        queries.append((f"the {target.name} is behind the {objs[k].name}", behind_of[k]))
    seen = (rendered.owner == 0).reshape(T, -1).any(axis=1)
    if 0 < seen.sum() < T:
        queries.append((f"the {target.name} is out of view", ~seen))
    if not queries:  # a still target that is always in view
        queries.append((f"the {target.name} is in view", seen))
    query, frames = queries[int(rng.integers(len(queries)))]
    moments = np.array([[a / T, b / T] for a, b in runs(frames)], np.float32).reshape(-1, 2)
    saliency = frames.astype(np.float32)

    qa: list[tuple[str, str]] = [
        (
            f"which way does the {target.name} move?",
            "still" if target.motion == "static" else target.motion,
        )
    ]
    if target.motion != "static":
        qa.append(
            (f"what does the {target.shape} moving {target.motion} look like?", target.appearance)
        )
    for k in range(1, K):
        under = [j for j in range(K) if j != k and behind(rendered, j, k).any()]
        if len(under) == 1 and sum(o.shape == objs[under[0]].shape for o in objs) == 1:
            qa.append((f"what passes behind the {objs[k].name}?", objs[under[0]].shape))
    question, answer = qa[int(rng.integers(len(qa)))]
    return {
        "caption": caption,
        "question": question,
        "answer": answer,
        "query": query,
        "moments": moments,
        "saliency": saliency,
    }
