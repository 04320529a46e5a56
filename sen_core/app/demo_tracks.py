"""What the demo's trackers did: predicted and true point tracks drawn on held-out frames.

``predict_clips`` runs trained networks on a few held-out clips; ``strip_png`` draws one row per
(clip, network) with one column per frame, ``tracks_gif`` animates the same clips frame by frame,
the networks side by side. In every picture a point has one colour; the true position is a
filled disc (a ring where the point is occluded), the prediction a cross joined to the truth by a
line (the error), drawn only where the point is truly visible or predicted visible.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import numpy as np

SCALE = 2  # frames are drawn at twice their size
POINTS = 12  # tracked points drawn per clip (the first that stay in view longest)
# distinct colours, readable on photographs (tab10 without grey, plus two)
PALETTE = [
    (31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
    (140, 86, 75), (227, 119, 194), (188, 189, 34), (23, 190, 207), (255, 255, 255),
    (255, 230, 0), (0, 255, 160),
]  # fmt: skip


@dataclass
class ClipTracks:
    """One held-out clip and one network's predictions on it (pixel x, y in the clip's frame)."""

    network: str  # label
    index: int  # clip index in the held-out split
    video: np.ndarray  # (T, H, W, 3) uint8
    tracks: np.ndarray  # (Q, T, 2) truth
    visible: np.ndarray  # (Q, T) bool truth
    pred: np.ndarray  # (Q, T, 2)
    pred_visible: np.ndarray  # (Q, T) bool
    aj: float  # the clip's TAP-Vid AJ (the tracking head's own meter)


def chosen_points(visible: np.ndarray, k: int = POINTS) -> np.ndarray:
    """Indices of ``k`` points, the longest visible first (ties: lower index), in index order."""
    order = sorted(range(len(visible)), key=lambda q: (-int(visible[q].sum()), q))
    return np.array(sorted(order[:k]), dtype=np.int64)


def predict_clips(
    nets: dict[str, Any], dataset: Any, indices: list[int], cache: Any = None
) -> list[list[ClipTracks]]:
    """For each clip index, each network's tracks on it: ``[[ClipTracks per network] per clip]``."""
    import torch

    samples = [dataset[i] for i in indices]
    batch = dataset.collate(samples)
    out: list[list[ClipTracks]] = [[] for _ in indices]
    for label, net in nets.items():
        net.eval()
        with torch.no_grad():
            _o, preds, _l = net.step(batch, cache)
        p = preds["tracking"]
        head = net.heads["tracking"]
        for j, i in enumerate(indices):
            meter = head.meter()
            one = {k: v[j : j + 1] for k, v in p.items() if k != "frame_size"}
            one["frame_size"] = p["frame_size"]
            meter.update(
                one,
                {k: batch[k][j : j + 1] for k in ("video", "tracks", "visible", "query_points")},
            )
            out[j].append(
                ClipTracks(
                    network=label,
                    index=i,
                    video=samples[j]["video"].numpy(),
                    tracks=samples[j]["tracks"].numpy(),
                    visible=samples[j]["visible"].numpy().astype(bool),
                    pred=p["tracks"][j].double().numpy(),
                    pred_visible=(p["visible_logits"][j].sigmoid() > head.visibility_threshold)
                    .numpy()
                    .astype(bool),
                    aj=float(meter.compute().get("AJ", float("nan"))),
                )
            )
    return out


def _font(size: int) -> Any:
    from PIL import ImageFont

    return ImageFont.load_default(size=size)


def draw_frame(c: ClipTracks, t: int, points: np.ndarray, trail: int = 0) -> Any:
    """Frame ``t`` of ``c`` at SCALE x size with the chosen points (and ``trail`` past frames)."""
    from PIL import Image, ImageDraw

    frame = Image.fromarray(c.video[t]).convert("RGB")
    frame = frame.resize((frame.width * SCALE, frame.height * SCALE), Image.Resampling.NEAREST)
    d = ImageDraw.Draw(frame)
    r = 3
    for n, q in enumerate(points):
        col = PALETTE[n % len(PALETTE)]
        for s in range(max(0, t - trail), t):  # faint trails of the prediction
            if c.pred_visible[q, s] and c.pred_visible[q, s + 1]:
                a, b = c.pred[q, s] * SCALE, c.pred[q, s + 1] * SCALE
                d.line([tuple(a), tuple(b)], fill=col, width=1)
        gx, gy = c.tracks[q, t] * SCALE
        px, py = c.pred[q, t] * SCALE
        vis, pvis = bool(c.visible[q, t]), bool(c.pred_visible[q, t])
        if vis or pvis:
            d.line([(gx, gy), (px, py)], fill=col, width=1)
            d.line([(px - r, py - r), (px + r, py + r)], fill=col, width=2)
            d.line([(px - r, py + r), (px + r, py - r)], fill=col, width=2)
        box = [(gx - r, gy - r), (gx + r, gy + r)]
        if vis:
            d.ellipse(box, fill=col, outline=(0, 0, 0))
        else:
            d.ellipse(box, outline=col, width=1)
    return frame


def _label_band(text: str, width: int, height: int = 22) -> Any:
    from PIL import Image, ImageDraw

    band = Image.new("RGB", (width, height), (255, 255, 255))
    ImageDraw.Draw(band).text((4, 3), text, fill=(0, 0, 0), font=_font(14))
    return band


def strip_png(clips: list[list[ClipTracks]]) -> bytes:
    """Rows (clip, network), columns frames; each row titled with the network and the clip's AJ."""
    from PIL import Image

    rows = []
    for per_net in clips:
        points = chosen_points(per_net[0].visible)
        for c in per_net:
            frames = [draw_frame(c, t, points) for t in range(len(c.video))]
            w, h = frames[0].width, frames[0].height
            row = Image.new("RGB", (w * len(frames) + 4 * (len(frames) - 1), h), (255, 255, 255))
            for t, f in enumerate(frames):
                row.paste(f, (t * (w + 4), 0))
            title = f"held-out clip {c.index}, {c.network}: AJ {c.aj:.2f} on this clip"
            rows.append((_label_band(title, row.width), row))
    width = max(r.width for _, r in rows)
    height = sum(b.height + r.height + 6 for b, r in rows)
    out = Image.new("RGB", (width, height), (255, 255, 255))
    y = 0
    for band, row in rows:
        out.paste(band, (0, y))
        out.paste(row, (0, y + band.height))
        y += band.height + row.height + 6
    buf = io.BytesIO()
    out.save(buf, format="PNG")
    return buf.getvalue()


def tracks_gif(clips: list[list[ClipTracks]], ms_per_frame: int = 600) -> bytes:
    """Each clip played frame by frame, the networks side by side, prediction trails growing."""
    from PIL import Image

    frames = []
    for per_net in clips:
        points = chosen_points(per_net[0].visible)
        for t in range(len(per_net[0].video)):
            panels = [draw_frame(c, t, points, trail=t) for c in per_net]
            w, h = panels[0].width, panels[0].height
            img = Image.new("RGB", (len(panels) * (w + 4) - 4, h + 22), (255, 255, 255))
            for j, (c, p) in enumerate(zip(per_net, panels, strict=True)):
                img.paste(_label_band(f"{c.network} (clip {c.index}, t={t})", w), (j * (w + 4), 0))
                img.paste(p, (j * (w + 4), 22))
            frames.append(img.convert("P", palette=Image.Palette.ADAPTIVE, colors=255))
    buf = io.BytesIO()
    frames[0].save(
        buf, format="GIF", save_all=True, append_images=frames[1:], duration=ms_per_frame, loop=0
    )
    return buf.getvalue()


def stand_still_aj(head: Any, dataset: Any, count: int, batch_size: int = 16) -> float:
    """AJ of the trivial tracker: every point stays at its query position, visible everywhere,
    scored by ``head``'s own meter on the first ``count`` clips (what a tracker must beat)."""
    import torch

    meter = head.meter()
    for start in range(0, min(count, len(dataset)), batch_size):
        idx = range(start, min(start + batch_size, count, len(dataset)))
        batch = dataset.collate([dataset[i] for i in idx])
        qp = torch.as_tensor(batch["query_points"]).float()  # (B, Q, 3) as (t, x, y)
        t = torch.as_tensor(batch["tracks"]).shape[2]
        h, w = batch["video"].shape[2:4]
        preds = {
            "tracks": qp[..., 1:].unsqueeze(2).expand(-1, -1, t, -1),
            "visible_logits": torch.full(tuple(batch["visible"].shape), 10.0),
            "frame_size": torch.tensor([h, w]),
        }
        meter.update(preds, batch)
    return float(meter.compute().get("AJ", float("nan")))
