"""Top entries of a py-spy profile, for the report on a missed target.

    py-spy record --gil -r 250 --format raw -o prof.raw -- .venv/bin/python -m bench.run --only P3
    .venv/bin/python -m bench.profile_top prof.raw [--top 15] [--match energymon]

Reads py-spy's raw (collapsed stack) output and prints the functions with the largest share of
samples, by total (anywhere on the stack) and by self (the innermost frame), with their file.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

__all__ = ["top_entries"]

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^:()]+)(?::\d+)?\)$")


def _name(frame: str) -> str:
    match = _FRAME.match(frame.strip())
    if not match:
        return frame.strip()
    path = match.group("file")
    for marker in ("site-packages/", "src/", "lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{match.group('func')} ({path})"


def top_entries(raw: str) -> tuple[Counter[str], Counter[str], int]:
    """(total samples per function, self samples per function, all samples)."""
    total: Counter[str] = Counter()
    own: Counter[str] = Counter()
    samples = 0
    for line in raw.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_name(frame) for frame in stack.split(";")]
        samples += count
        own[frames[-1]] += count
        for name in set(frames):
            total[name] += count
    return total, own, samples


def main() -> None:
    """Print both tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("raw", type=Path)
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--match", default="", help="only functions whose file contains this")
    args = parser.parse_args()
    total, own, samples = top_entries(args.raw.read_text())
    for title, counter in (("total", total), ("self", own)):
        print(f"-- by {title} ({samples} samples)")
        chosen = [(n, c) for n, c in counter.most_common() if args.match in n][: args.top]
        for name, count in chosen:
            print(f"{count / samples:6.1%}  {name}")


if __name__ == "__main__":
    main()
