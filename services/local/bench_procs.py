"""CPU-seconds of every process of the running system, read from ``/proc``.

`samenloket up` writes its own pid and its services' pids to ``run.json``; everything it started
(the four services, the embedded PostgreSQL with its backends, the broker) descends from it. A
:func:`snapshot` reads ``utime + stime`` of each of them (and, for a process whose children come and
go, like PostgreSQL's postmaster, the CPU of the children it already reaped); :func:`cpu_between`
subtracts two snapshots per role. Without a state file (a system run some other way) only the bench
process itself is counted and the JSON says so.
"""

from __future__ import annotations

import math
import os
import resource
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TICKS = os.sysconf("SC_CLK_TCK")
PROC = Path("/proc")


@dataclass(frozen=True)
class Stat:
    pid: int
    ppid: int
    name: str
    #: utime + stime + cutime + cstime, in clock ticks.
    ticks: int


def read_stat(pid: int) -> Stat | None:
    try:
        raw = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ")".
    name = raw[raw.index("(") + 1 : raw.rindex(")")]
    fields = raw[raw.rindex(")") + 2 :].split()
    # fields[0] is field 3 (state): ppid is field 4, utime..cstime are fields 14..17.
    return Stat(pid, int(fields[1]), name, sum(int(f) for f in fields[11:15]))


def all_stats() -> dict[int, Stat]:
    stats = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            stat = read_stat(int(entry.name))
            if stat is not None:
                stats[stat.pid] = stat
    return stats


def descendants(root: int, stats: dict[int, Stat]) -> set[int]:
    children: dict[int, list[int]] = {}
    for stat in stats.values():
        children.setdefault(stat.ppid, []).append(stat.pid)
    found, todo = set(), [root]
    while todo:
        pid = todo.pop()
        if pid in found or pid not in stats:
            continue
        found.add(pid)
        todo.extend(children.get(pid, []))
    return found


def role_of(pid: int, stats: dict[int, Stat], launcher: int, services: dict[int, str]) -> str:
    """Which part of the system a process is: a service, postgresql, broker, or the launcher."""
    if pid == launcher:
        return "launcher (mail sink, demo trickle)"
    seen = pid
    while seen in stats and seen != launcher:
        if seen in services:
            return services[seen]
        if stats[seen].name == "postgres":
            return "postgresql"
        if stats[seen].ppid == launcher:
            return "broker" if "tansu" in stats[seen].name or "kafka" in stats[seen].name else stats[seen].name
        seen = stats[seen].ppid
    return stats[pid].name if pid in stats else "other"


Snapshot = dict[int, tuple[str, int]]


def snapshot(state: dict[str, Any] | None) -> Snapshot:
    """pid -> (role, ticks) of every process of the system, plus the bench itself (pid 0)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    own = ("bench (load generator)", round((usage.ru_utime + usage.ru_stime) * TICKS))
    if not state:
        return {0: own}
    launcher = int(state["pid"])
    services = {int(s["pid"]): name for name, s in state["services"].items() if s.get("pid")}
    stats = all_stats()
    taken: Snapshot = {
        pid: (role_of(pid, stats, launcher, services), stats[pid].ticks) for pid in descendants(launcher, stats)
    }
    taken[0] = own
    return taken


def cpu_between(before: Snapshot, after: Snapshot, questions: int) -> dict[str, Any]:
    """CPU-seconds per role between two snapshots, their total, and milliseconds per question."""
    per_role: dict[str, float] = {}
    for pid, (role, ticks) in after.items():
        used = ticks - before.get(pid, (role, 0))[1]
        per_role[role] = per_role.get(role, 0.0) + max(used, 0) / TICKS
    system = {role: round(s, 2) for role, s in sorted(per_role.items()) if not role.startswith("bench")}
    total = sum(system.values())
    result: dict[str, Any] = {
        "cpu_seconds": system,
        "cpu_seconds_total": round(total, 2),
        "cpu_ms_per_question": round(total * 1000 / questions, 2) if questions else None,
        "bench_cpu_seconds": round(sum(s for r, s in per_role.items() if r.startswith("bench")), 2),
    }
    if len(after) == 1:
        result["note"] = "no run.json of `samenloket up`: only the bench process was measured"
    return result


def percentiles(values: list[float]) -> dict[str, float] | None:
    if not values:
        return None
    ordered = sorted(values)

    def pick(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)], 2)

    return {
        "p50": pick(0.5),
        "p90": pick(0.9),
        "p95": pick(0.95),
        "p99": pick(0.99),
        "max": round(ordered[-1], 2),
        "mean": round(statistics.fmean(ordered), 2),
    }
