"""Introspection: ``describe_network(net)`` as data, and the same graph as Mermaid or Graphviz dot text.

Used by ``sen build`` (tables) and ``sen graph`` (diagrams); the dict is JSON-serialisable.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from torch import nn

if TYPE_CHECKING:
    from sen_core.network.network import SuperEncodingNetwork

__all__ = ["count_parameters", "describe_network", "to_dot", "to_mermaid"]


def count_parameters(module: nn.Module) -> dict[str, int]:
    """{"trainable": n, "frozen": n} (shared tensors counted once)."""
    t = f = 0
    for p in module.parameters():
        if p.requires_grad:
            t += p.numel()
        else:
            f += p.numel()
    return {"trainable": t, "frozen": f}


def describe_network(net: SuperEncodingNetwork) -> dict[str, Any]:
    """A JSON-ready description: inputs, neurons (widths, prompting, parameters), block, heads.

    Args:
        net: a built network.
    """
    spec, res = net.spec, net.resolved
    neurons = []
    first: dict[int, str] = {}
    for n in spec.neurons:
        k = n.id
        owner = first.setdefault(id(net.neurons[k]), k)
        es = res.encoders[k]
        neurons.append(
            {
                "key": k,
                "name": n.name,
                "input": n.input,
                "modality": es.modality,
                "width": net.neurons[k].width,
                "prompting": es.prompting,
                "prompted": k in net.prompted,
                "integrated": k in net.integrated,
                "anchor": k == net.anchor,
                "trainable": n.trainable,
                "params": dict(n.params),
                "parameters": count_parameters(net.neurons[k]),
                "cache_id": net.neuron_cache_id(k),
                "cacheable": net.cacheable(k),
                "shares_module_with": owner if owner != k else None,
            }
        )
    heads = [
        {
            "key": h.id,
            "name": h.name,
            "task": res.heads[h.id].task,
            "weight": h.weight,
            "needs": list(res.heads[h.id].needs),
            "parameters": count_parameters(net.heads[h.id]),
        }
        for h in spec.heads
    ]
    parts = {
        "neurons": net.neurons,
        "adapters": net.adapters,
        "text_proj": net.text_proj,
        "block": net.block,
        "heads": net.heads,
        "norm": net.norm,
    }
    return {
        "hash": net.spec_hash,
        "anchor": net.anchor,
        "width": spec.width,
        "token_budget": spec.token_budget,
        "attn_heads": spec.attn_heads,
        "prompt_tokens": spec.prompt_tokens,
        "distill_weight": spec.distill_weight,
        "checkpointing": spec.checkpointing,
        "block": {
            "name": res.block.name,
            "depth": spec.depth,
            "share_weights": spec.share_weights,
            "recursive": res.block.recursive,
            "params": dict(spec.block_params),
            "source": res.block.source,
            "parameters": count_parameters(net.block),
        },
        "neurons": neurons,
        "heads": heads,
        "parameters": count_parameters(net)
        | {
            "total": sum(p.numel() for p in net.parameters()),
            "by_part": {name: count_parameters(m) for name, m in parts.items()},
        },
    }


def _fmt(n: int) -> str:
    return f"{n / 1e6:.2f}M" if n >= 1e6 else (f"{n / 1e3:.1f}k" if n >= 1e3 else str(n))


def _neuron_label(n: dict[str, Any]) -> str:
    prompt = f"prompts: {n['prompting']}" if n["prompted"] else "prompt-free"
    role = "anchor, " if n["anchor"] else ""
    return f"{n['key']}: {n['name']}|{role}{n['modality']} D={n['width']}, {prompt}"


def _graph(
    desc: dict[str, Any],
) -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str, bool]]]:
    """Nodes (id, label, shape) and edges (src, dst, label, dashed) shared by both formats."""
    b = desc["block"]
    nodes: list[tuple[str, str, str]] = []
    edges: list[tuple[str, str, str, bool]] = []
    for src in dict.fromkeys(n["input"] for n in desc["neurons"]):
        nodes.append((f"in_{src}", src, "input"))
    block_label = f"{b['name']}|depth K={b['depth']}, D={desc['width']}, " + (
        "shared" if b["share_weights"] else "per-step"
    )
    nodes.append(("block", block_label, "block"))
    nodes.append(("out", "NetworkOutput|state, pooled, text", "output"))
    for n in desc["neurons"]:
        nid = f"n_{n['key']}"
        nodes.append((nid, _neuron_label(n), "neuron"))
        edges.append((f"in_{n['input']}", nid, "", False))
        if n["integrated"]:
            edges.append((nid, "block", "integrate", False))
        else:
            edges.append((nid, "out", "text", False))
        if n["prompted"]:
            edges.append(("block", nid, "prompts", True))
    edges.append(("block", "out", "", False))
    for h in desc["heads"]:
        hid = f"h_{h['key']}"
        nodes.append(
            (hid, f"{h['key']}: {h['name']}|task={h['task']}, weight={h['weight']:g}", "head")
        )
        edges.append(("out", hid, "", False))
    return nodes, edges


def to_mermaid(desc: dict[str, Any]) -> str:
    """A Mermaid flowchart of the network.

    Args:
        desc: what ``describe_network`` returns.
    """
    shapes = {
        "input": ('[/"', '"/]'),
        "block": ('{{"', '"}}'),
        "output": ('(["', '"])'),
        "neuron": ('["', '"]'),
        "head": ('[["', '"]]'),
    }
    lines = ["flowchart LR"]
    for nid, label, shape in _graph(desc)[0]:
        left, right = shapes[shape]
        lines.append(
            f"  {nid}{left}{label.replace('|', '<br/>').replace(chr(34), '#quot;')}{right}"
        )
    for src, dst, label, dashed in _graph(desc)[1]:
        arrow = "-.->" if dashed else "-->"
        lines.append(f"  {src} {arrow}|{label}| {dst}" if label else f"  {src} {arrow} {dst}")
    p = desc["parameters"]
    lines.append(
        f"  %% trainable {_fmt(p['trainable'])}, frozen {_fmt(p['frozen'])}, spec hash {desc['hash']}"
    )
    return "\n".join(lines) + "\n"


def to_dot(desc: dict[str, Any]) -> str:
    """A Graphviz dot digraph of the network.

    Args:
        desc: what ``describe_network`` returns.
    """
    shapes = {
        "input": "parallelogram",
        "block": "hexagon",
        "output": "oval",
        "neuron": "box",
        "head": "box3d",
    }
    p = desc["parameters"]
    lines = [
        "digraph sen {",
        "  rankdir=LR;",
        '  node [fontname="Helvetica", fontsize=10];',
        f'  label="{desc["block"]["name"]}  trainable {_fmt(p["trainable"])}, frozen {_fmt(p["frozen"])}, '
        f'hash {desc["hash"]}";',
    ]
    for nid, label, shape in _graph(desc)[0]:
        text = label.replace('"', '\\"').replace("|", "\\n")
        lines.append(f'  {nid} [label="{text}", shape={shapes[shape]}];')
    for src, dst, label, dashed in _graph(desc)[1]:
        attrs = [f'label="{label}"'] if label else []
        if dashed:
            attrs.append("style=dashed")
        lines.append(f"  {src} -> {dst}" + (f" [{', '.join(attrs)}]" if attrs else "") + ";")
    lines.append("}")
    return "\n".join(lines) + "\n"
