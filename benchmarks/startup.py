"""Start-up cost: wall time of `sen list` against importing the heavy libraries it must avoid.

Run: .venv/bin/python benchmarks/startup.py [--repeat 5]
Prints the median of each and their ratio, measured in one run (goal: ratio <= 0.15).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time


def timed(cmd: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    py = sys.executable
    # warm the file cache once so neither side pays for cold disk reads
    subprocess.run([py, "-c", "import torch, timm, open_clip, transformers"], check=True)
    sen_list = timed([py, "-m", "sen_core", "list"], args.repeat)
    heavy = timed([py, "-c", "import torch, timm, open_clip, transformers"], args.repeat)
    print(f"{'command':<55} {'median s':>9}")
    print(f"{'sen list':<55} {sen_list:>9.3f}")
    print(f"{'python -c import torch, timm, open_clip, transformers':<55} {heavy:>9.3f}")
    ratio = sen_list / heavy
    print(
        f"ratio sen list / heavy imports: {ratio:.3f}  (goal <= 0.15: {'met' if ratio <= 0.15 else 'NOT met'})"
    )


if __name__ == "__main__":
    main()
