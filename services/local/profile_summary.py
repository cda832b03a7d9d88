"""Summarise py-spy's collapsed stacks (``--format raw``): where a service's samples go.

``python -m services.local.profile_summary FILE`` prints the share of samples per area (the library
or the service package a frame belongs to, counted once per stack, innermost area as "self") and the
functions with the most inclusive samples. :mod:`scripts/profile.sh` runs it for every service.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

#: "function (path/to/module.py:line)" frames of py-spy's raw output.
FRAME = re.compile(r"^(?P<function>.*?) \((?P<path>[^:()]+)(?::\d+)?\)$")
TOP = 60


def area(path: str) -> str:
    """The library or service package a frame's file belongs to."""
    if "site-packages/" in path:
        return path.split("site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
    for marker in ("services/", "contracts/"):
        if marker in path:
            parts = path.split(marker, 1)[1].split("/")
            return marker.rstrip("/") + "." + ".".join(p.removesuffix(".py") for p in parts[:2])
    if "python3" in path:
        return "stdlib." + path.rsplit("/", 1)[-1].removesuffix(".py")
    return path


def summarise(lines: list[str]) -> str:
    total = 0
    inclusive: Counter[str] = Counter()
    areas: Counter[str] = Counter()
    own: Counter[str] = Counter()
    for line in lines:
        stack, _, count_text = line.rstrip().rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = [FRAME.match(f.strip()) for f in stack.split(";")]
        named = [(m["function"], m["path"]) for m in frames if m]
        for key in {f"{fn} ({area(path)})" for fn, path in named}:
            inclusive[key] += count
        for name in {area(path) for _, path in named}:
            areas[name] += count
        if named:
            own[area(named[-1][1])] += count
    out = [f"samples: {total}", "", "area: share of samples with a frame in it (inclusive) / innermost (self)"]
    for name, count in areas.most_common(TOP):
        out.append(f"  {100 * count / total:5.1f}% / {100 * own[name] / total:5.1f}%  {name}")
    out += ["", "functions (inclusive):"]
    for key, count in inclusive.most_common(TOP):
        out.append(f"  {100 * count / total:5.1f}%  {key}")
    return "\n".join(out) if total else "no samples"


def main(argv: list[str]) -> int:
    print(summarise(Path(argv[1]).read_text().splitlines()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
