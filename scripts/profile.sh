#!/usr/bin/env bash
# Profile every service of a running `samenloket up` under `samenloket bench`.
#
# Usage: scripts/profile.sh [DATA_DIR] [OUT_DIR] [-- bench arguments]
#   DATA_DIR  the running system's data dir (default .samenloket), holding run.json with the pids
#   OUT_DIR   where the flame graphs go (default profiles/<UTC time>)
# py-spy (a dev dependency) samples each service process (100 Hz, native frames off, idle off)
# while the bench runs, and writes <service>.svg (a flame graph) and <service>.txt (collapsed
# stacks, for grep and for summarising) per service, plus bench.json. py-spy needs ptrace: run as
# root or with CAP_SYS_PTRACE (`--cap-add SYS_PTRACE` in a container).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
data_dir="${1:-.samenloket}"
out_dir="${2:-profiles/$(date -u +%Y%m%dT%H%M%SZ)}"
shift $(( $# >= 2 ? 2 : $# )) || true
[ "${1:-}" = "--" ] && shift
bench_args=("$@")
[ ${#bench_args[@]} -eq 0 ] && bench_args=(-n 2000 --rate 0)
py_spy="$here/.venv/bin/py-spy"
samenloket="$here/.venv/bin/samenloket"
mkdir -p "$out_dir"
pids=$("$here/.venv/bin/python" -c 'import json,sys; s=json.load(open(sys.argv[1]))["services"]; print(" ".join(n + ":" + str(v["pid"]) for n,v in s.items()))' "$data_dir/run.json")
spies=()
for entry in $pids; do
  name="${entry%%:*}"; pid="${entry##*:}"
  "$py_spy" record --pid "$pid" --rate 100 --format raw --output "$out_dir/$name.txt" --nonblocking >/dev/null 2>&1 &
  spies+=($!)
done
sleep 1
"$samenloket" bench --data-dir "$data_dir" "${bench_args[@]}" > "$out_dir/bench.json"
for spy in "${spies[@]}"; do kill -INT "$spy" 2>/dev/null || true; done
for spy in "${spies[@]}"; do wait "$spy" 2>/dev/null || true; done
for entry in $pids; do
  name="${entry%%:*}"
  "$here/.venv/bin/python" -m services.local.profile_summary "$out_dir/$name.txt" > "$out_dir/$name.summary.txt" || true
done
echo "profiles in $out_dir (collapsed stacks *.txt, summaries *.summary.txt; flame graphs: py-spy record --format flamegraph)"
