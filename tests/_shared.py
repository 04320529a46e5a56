"""Helpers shared by test directories (tests/ is on sys.path: see tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

# a tiny random diffusers UNet (no download) for the conditional-editing head
TINY_UNET = {
    "sample_size": 16,
    "in_channels": 3,
    "out_channels": 3,
    "layers_per_block": 1,
    "block_out_channels": [16, 32],
    "down_block_types": ["CrossAttnDownBlock2D", "DownBlock2D"],
    "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D"],
    "cross_attention_dim": 24,
    "attention_head_dim": 8,
    "norm_num_groups": 8,
}


def write_faststart_cut(src: Path, dst: Path, fraction: float = 0.5) -> Path:
    """Remux ``src`` with its index first (mp4 faststart, as streaming encoders write), then keep
    only the first ``fraction`` of the bytes: the index still declares every frame."""
    import av

    full = dst.with_name(dst.stem + ".full.mp4")
    with (
        av.open(str(src)) as inp,
        av.open(str(full), "w", format="mp4", options={"movflags": "faststart"}) as out,
    ):
        video = out.add_stream_from_template(inp.streams.video[0])
        for packet in inp.demux(inp.streams.video[0]):
            if packet.dts is not None:
                packet.stream = video
                out.mux(packet)
    data = full.read_bytes()
    assert data.find(b"moov") < data.find(b"mdat"), "the index must come first"
    dst.write_bytes(data[: int(len(data) * fraction)])
    full.unlink()
    return dst
