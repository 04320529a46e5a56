"""Hook implementations. Only specs here: torch is imported by the factories, never at import time."""

from __future__ import annotations

from sen_core import BlockSpec, EncoderSpec, HeadSpec, Preprocess, TokenLayout, hookimpl


@hookimpl
def sen_encoders(register):
    register(
        EncoderSpec(
            name="acme/tinyconv@1",
            summary="A 3-stage toy CNN on frames, prompted with FiLM (example plugin)",
            factory="sen_example_plugin.tinyconv:build",
            modality="image",
            width=32,
            layout=TokenLayout(kind="frames", tokens_per_frame=16, grid=(4, 4)),
            preprocess=Preprocess(image_size=32, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5)),
            prompting="film",
            params={"channels": [8, 16, 32], "image_size": 32},
        )
    )


@hookimpl
def sen_blocks(register):
    register(
        BlockSpec(
            name="acme/mean-mix@1",
            summary="Integrate-only block: the state moves towards each neuron's mean token (example plugin)",
            factory="sen_example_plugin.meanmix:build",
            params={"rate": 0.5},
            recursive=True,
            needs_prompting=False,
            source="examples/sen-example-plugin (teaching example)",
        )
    )


@hookimpl
def sen_heads(register):
    register(
        HeadSpec(
            name="acme/linear-probe@1",
            summary="Linear classifier on the pooled state, cross-entropy, top-1 (example plugin)",
            factory="sen_example_plugin.probe:build",
            task="recognition",
            metrics=("top1",),
            params={"num_classes": 10},
        )
    )
