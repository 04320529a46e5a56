"""Glue overhead and training-step memory of a Super Encoding Network at realistic sizes (CPU).

Network: a ViT-S/16 image neuron (``timm/vit_small_patch16_224``, random weights, token-prompted)
anchoring the state and a MiniLM-L6 text neuron (``sen/minilm-l6@1``, real weights, token-prompted)
reading the question; ``sen/ra-cross@1``, K = 3, 8 frames at 224 px.

1. Forward time of the network against the floor: the forwards its neurons must do anyway (each
   neuron's prompt-free pass + K prompted passes of each prompted neuron, same inputs, same prompt
   sizes, same grad mode). ratio = network / floor; the goal is <= 1.10. Timings interleave the two
   and report the median of ``--repeats`` runs (the machine may be shared).
2. Memory of one training step (forward + backward) with and without activation checkpointing:
   the bytes saved for backward (saved-tensor hooks, exact), and the peak RSS increase of a fresh
   process during the step (sampled every 2 ms from /proc/self/statm).

    .venv/bin/python benchmarks/network.py               # the numbers reported in docs/network.md
    .venv/bin/python benchmarks/network.py --quick       # tiny sizes, a smoke run
    .venv/bin/python benchmarks/network.py --late        # K=3/K=0 with late prompts (ViT-S, EffNet)

3. ``--late``: one ViT-S/16 with prompts entering block 9 of 12 (one prompt set per block from
   there on) and one EfficientNet-Lite0 with FiLM on its last 2 of 5 stages, each at K=0, K=3
   (late), K=3 late with ``grad_steps: 1`` (only the last step's re-encoding backpropagated) and
   K=3 with shallow prompts (prompt_from=0: the whole encoder re-runs each step).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def make_spec(args: argparse.Namespace, checkpointing: bool = False) -> dict[str, Any]:
    image = {
        "name": "timm/vit_small_patch16_224",
        "key": "vit",
        "input": "frames",
        "params": {"image_size": args.image_size},
    }
    text = {"name": "sen/minilm-l6@1", "key": "question", "input": "question"}
    return {
        "neurons": [image, text],
        "anchor": "vit",
        "block": args.block,
        "depth": args.depth,
        "width": args.width,
        "token_budget": args.token_budget,
        "prompt_tokens": args.prompt_tokens,
        "checkpointing": checkpointing,
    }


def make_batch(args: argparse.Namespace) -> dict[str, Any]:
    import torch

    g = torch.Generator().manual_seed(0)
    video = torch.randint(
        0,
        256,
        (args.batch, args.frames, args.image_size, args.image_size, 3),
        dtype=torch.uint8,
        generator=g,
    )
    questions = ["what colour is the ball that rolls to the left of the red cube"] * args.batch
    return {"video": video, "question": questions}


def floor_forward(net: Any, batch: dict[str, Any], prompts: dict[str, Any]) -> None:
    """What the neurons must compute anyway: step 0 for each, K prompted passes for prompted ones."""
    import torch

    for key, neuron in net.neurons.items():
        raw = net.raw_input(key, batch)
        if key in prompts:
            inputs = neuron.preprocess(raw)
            with torch.no_grad():
                neuron.encode(inputs, None)
            for _ in range(net.depth):
                neuron.encode(inputs, prompts[key])
        else:
            with torch.no_grad():
                neuron(raw)


def late_spec(
    args: argparse.Namespace, model: str, depth: int, params: dict[str, Any], **network: Any
) -> dict:
    """One frame neuron (random weights) anchoring ra-cross; ``params`` set where prompts enter,
    ``network`` adds NetworkSpec fields (e.g. grad_steps)."""
    neuron = {
        "name": f"timm/{model}",
        "key": "img",
        "input": "frames",
        "params": {"image_size": args.image_size, **params},
    }
    return {
        "neurons": [neuron],
        "anchor": "img",
        "block": args.block,
        "depth": depth,
        "width": args.width,
        "token_budget": args.token_budget,
        "prompt_tokens": args.prompt_tokens,
        **network,
    }


def bench_late(args: argparse.Namespace) -> dict[str, Any]:
    """Training-step and inference time of K=0, K=3 with late prompts and K=3 with shallow
    prompts, for a ViT-S/16 (prompts from its last quarter of blocks, per block) and an
    EfficientNet-Lite0 (FiLM on its last stages); medians of interleaved repeats, one process."""
    import torch

    from sen_core.network import build_network

    cases = {
        "vit_small_patch16_224": {
            "late": {"prompt_from": args.vit_from, "prompt_depth": "deep"},
            "shallow": {"prompt_from": 0, "prompt_depth": "shallow"},
        },
        "efficientnet_lite0": {"late": {"prompt_from": args.film_from}, "shallow": {}},
    }
    batch = make_batch(args)
    results: dict[str, Any] = {}
    for model, variants in cases.items():
        nets = {
            "K=0": build_network(late_spec(args, model, 0, variants["late"])),
            "K=3 late": build_network(late_spec(args, model, args.depth, variants["late"])),
            "K=3 late grad_steps=1": build_network(
                late_spec(args, model, args.depth, variants["late"], grad_steps=1)
            ),
            "K=3 shallow": build_network(late_spec(args, model, args.depth, variants["shallow"])),
        }

        def train_step(net: Any) -> None:
            net.train()
            net.zero_grad(set_to_none=True)
            net(batch).pooled.square().mean().backward()

        def infer(net: Any) -> None:
            net.eval()
            with torch.no_grad():
                net(batch)

        times: dict[str, dict[str, list[float]]] = {k: {"train": [], "infer": []} for k in nets}
        for net in nets.values():  # warm-up
            train_step(net)
            infer(net)
        for _ in range(args.repeats):
            for name, net in nets.items():
                times[name]["train"].append(_timed(lambda n=net: train_step(n)))
                times[name]["infer"].append(_timed(lambda n=net: infer(n)))
        med = {k: {m: statistics.median(v) for m, v in t.items()} for k, t in times.items()}
        results[model] = {
            "seconds": med,
            "train K=3/K=0": med["K=3 late"]["train"] / med["K=0"]["train"],
            "train K=3/K=0 grad_steps=1": med["K=3 late grad_steps=1"]["train"]
            / med["K=0"]["train"],
            "infer K=3/K=0": med["K=3 late"]["infer"] / med["K=0"]["infer"],
            "train shallow/late": med["K=3 shallow"]["train"] / med["K=3 late"]["train"],
            "infer shallow/late": med["K=3 shallow"]["infer"] / med["K=3 late"]["infer"],
            "late": variants["late"],
        }
        if not args.json:  # one model at a time: a long run on a busy machine shows progress
            print_late({model: results[model]}, args)
            sys.stdout.flush()
    return results


def bench_deep_modes(args: argparse.Namespace) -> dict[str, Any]:
    """Deep prompts for ViT-S blocks 9-11 from one generator with layer embeddings ('shared') or
    one generator per block ('per_layer'): parameters and forward + backward time."""
    import torch

    from sen_core.network.block import NeuronInfo
    from sen_core.network.prompts import Distributor
    from sen_core.neuron import PromptSlot

    slot = PromptSlot("tokens", dim=384, depth=12 - args.vit_from)
    info = {"img": NeuronInfo("img", 384, "image", "frames", slot)}
    state = torch.randn(args.batch, args.token_budget, args.width)
    out: dict[str, Any] = {}
    for mode in ("shared", "per_layer"):
        torch.manual_seed(0)
        dist = Distributor(args.width, info, prompt_tokens=args.prompt_tokens, heads=4, deep=mode)

        def run(d: Any = dist) -> None:
            d(state)["img"].square().mean().backward()

        run()
        times = [_timed(run) for _ in range(20)]
        out[mode] = {
            "params": sum(p.numel() for p in dist.parameters()),
            "ms": 1000 * statistics.median(times),
        }
    print(
        "deep prompt generators for blocks {}-11: shared (layer embeddings) {:,} params {:.2f} ms; "
        "per_layer {:,} params {:.2f} ms (forward + backward)".format(
            args.vit_from,
            out["shared"]["params"],
            out["shared"]["ms"],
            out["per_layer"]["params"],
            out["per_layer"]["ms"],
        )
    )
    return out


def print_late(results: dict[str, Any], args: argparse.Namespace) -> None:
    import torch

    print(
        f"late prompts: K={args.depth}, {args.batch} x {args.frames} frames at {args.image_size}px, "
        f"{args.block}, width {args.width}, {torch.get_num_threads()} threads, "
        f"median of {args.repeats}, load average {os.getloadavg()[0]:.1f}"
    )
    for model, r in results.items():
        sec = r["seconds"]
        print(
            f"{model} ({r['late']}): train step K=0 {sec['K=0']['train']:.2f} s, "
            f"K=3 late {sec['K=3 late']['train']:.2f} s, K=3 shallow {sec['K=3 shallow']['train']:.2f} s"
        )
        print(
            f"  {model} training step K=3/K=0 {r['train K=3/K=0']:.2f}x (goal <= 2.5), "
            f"inference K=3/K=0 {r['infer K=3/K=0']:.2f}x (goal <= 1.8), "
            f"late vs shallow K=3 training speed-up {r['train shallow/late']:.2f}x (goal >= 2.5), "
            f"inference {r['infer shallow/late']:.2f}x"
        )
        print(
            f"  {model} training step K=3/K=0 with grad_steps=1 (truncated backprop: only the "
            f"last step's re-encoding backpropagated) {r['train K=3/K=0 grad_steps=1']:.2f}x "
            f"({sec['K=3 late grad_steps=1']['train']:.2f} s; goal <= 2.5)"
        )


def _timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def bench_time(args: argparse.Namespace) -> dict[str, Any]:
    import torch

    from sen_core.network import build_network, describe_network
    from sen_core.neuron import SuperNeuron

    net = build_network(make_spec(args))
    batch = make_batch(args)
    results: dict[str, Any] = {}
    for mode in ("inference", "train-forward"):
        grad = mode == "train-forward"
        net.train(grad)
        # prompts of exactly the sizes the block produces, requiring grad in training like the real ones
        with torch.no_grad():
            out = net(batch)
        prompts = {}
        for key in net.prompted:
            neuron = net.neurons[key]
            assert isinstance(neuron, SuperNeuron)
            slot = neuron.prompt_slot()
            assert slot is not None  # a prompted neuron has a slot
            prompts[key] = torch.randn(args.batch, args.prompt_tokens, slot.dim, requires_grad=grad)
        ctx = torch.enable_grad if grad else torch.no_grad
        with ctx():
            floor_forward(net, batch, prompts)  # warm-up
            net(batch)
            t_net, t_floor = [], []
            for _ in range(args.repeats):
                t_floor.append(_timed(lambda p=prompts: floor_forward(net, batch, p)))
                t_net.append(_timed(lambda: net(batch)))
        med_net, med_floor = statistics.median(t_net), statistics.median(t_floor)
        results[mode] = {
            "network_s": round(med_net, 4),
            "floor_s": round(med_floor, 4),
            "ratio": round(med_net / med_floor, 4),
            "ratio_of_minima": round(min(t_net) / min(t_floor), 4),
        }
    results["state_shape"] = list(out.state.shape)
    d = describe_network(net)
    results["parameters"] = {
        "trainable": d["parameters"]["trainable"],
        "frozen": d["parameters"]["frozen"],
    }
    return results


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def memory_worker(args: argparse.Namespace, checkpointing: bool) -> dict[str, Any]:
    """One training step in this (fresh) process: saved-for-backward bytes and peak RSS increase."""
    import torch

    from sen_core.network import build_network

    torch.manual_seed(0)
    net = build_network(make_spec(args, checkpointing)).train()
    batch = make_batch(args)
    seen: set[tuple[int, int]] = set()
    saved = [0]

    def pack(t: torch.Tensor) -> torch.Tensor:
        key = (t.untyped_storage().data_ptr(), t.untyped_storage().nbytes())
        if key not in seen:
            seen.add(key)
            saved[0] += t.untyped_storage().nbytes()
        return t

    peak, stop = [0], threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], _rss_bytes())
            time.sleep(0.002)

    base = _rss_bytes()
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    t = time.perf_counter()
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        out = net(batch)
    out.pooled.square().mean().backward()
    step_s = time.perf_counter() - t
    stop.set()
    sampler.join()
    return {
        "checkpointing": checkpointing,
        "saved_for_backward_mb": round(saved[0] / 2**20, 1),
        "peak_rss_increase_mb": round((max(peak[0], _rss_bytes()) - base) / 2**20, 1),
        "step_s": round(step_s, 2),
    }


def bench_memory(args: argparse.Namespace) -> list[dict[str, Any]]:
    rows = []
    for ckpt in (False, True):
        cmd = [
            sys.executable,
            __file__,
            "--_memory-worker",
            "1" if ckpt else "0",
            *_size_args(args),
        ]
        res = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if res.returncode != 0:
            raise SystemExit(f"memory worker failed:\n{res.stderr[-3000:]}")
        rows.append(json.loads(res.stdout.strip().splitlines()[-1]))
    return rows


def _size_args(args: argparse.Namespace) -> list[str]:
    return [
        f"--frames={args.frames}",
        f"--batch={args.batch}",
        f"--depth={args.depth}",
        f"--width={args.width}",
        f"--image-size={args.image_size}",
        f"--token-budget={args.token_budget}",
        f"--prompt-tokens={args.prompt_tokens}",
        f"--block={args.block}",
    ]


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--frames", type=int, default=8)
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--depth", type=int, default=3)
    p.add_argument("--width", type=int, default=256)
    p.add_argument("--image-size", type=int, default=224)
    p.add_argument("--token-budget", type=int, default=64)
    p.add_argument("--prompt-tokens", type=int, default=4)
    p.add_argument("--block", default="sen/ra-cross@1")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--quick", action="store_true", help="tiny sizes (smoke run)")
    p.add_argument(
        "--late", action="store_true", help="only the late-prompt K=3/K=0 and shallow/late ratios"
    )
    p.add_argument("--vit-from", type=int, default=9, help="ViT-S block prompts enter (of 12)")
    p.add_argument("--film-from", type=int, default=3, help="EfficientNet FiLM stage (of 5)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--_memory-worker", dest="memory_worker", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.quick:
        args.frames, args.image_size, args.repeats = 2, 64, 2
    import warnings

    warnings.filterwarnings("ignore")
    if args.memory_worker is not None:
        print(json.dumps(memory_worker(args, args.memory_worker == "1")))
        return
    import torch

    if args.late:
        deep_modes = bench_deep_modes(args)
        late = bench_late(args)
        late["deep_modes"] = deep_modes
        if args.json:
            print(json.dumps(late, indent=2))
        return
    timing = bench_time(args)
    memory = bench_memory(args)
    report = {
        "config": {k: v for k, v in vars(args).items() if k not in ("memory_worker", "json")},
        "torch_threads": torch.get_num_threads(),
        "timing": timing,
        "memory": memory,
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(
        f"SEN network benchmark: ViT-S/16 ({args.image_size}px) + MiniLM-L6, {args.block}, K={args.depth}, "
        f"{args.batch} x {args.frames} frames, width {args.width}, {torch.get_num_threads()} threads"
    )
    pr = timing["parameters"]
    print(
        f"parameters: {pr['trainable']:,} trainable, {pr['frozen']:,} frozen; state {timing['state_shape']}"
    )
    for mode in ("inference", "train-forward"):
        r = timing[mode]
        verdict = "ok" if r["ratio"] <= 1.10 else "ABOVE GOAL"
        print(
            f"{mode:>14}: network {r['network_s']:.3f} s, floor {r['floor_s']:.3f} s, glue overhead ratio "
            f"{r['ratio']:.3f} (of minima {r['ratio_of_minima']:.3f}; goal <= 1.10: {verdict})"
        )
    for m in memory:
        label = "with" if m["checkpointing"] else "without"
        print(
            f"training step {label:>7} checkpointing: saved for backward {m['saved_for_backward_mb']:.1f} MiB, "
            f"peak RSS increase {m['peak_rss_increase_mb']:.1f} MiB, {m['step_s']:.1f} s"
        )


if __name__ == "__main__":
    main()
