#!/usr/bin/env bash
# How long does `pipeline run` take when all 8 stages of a pipeline are up to date?
# Target: under 0.3 s. Uses the test-stage build of `pipeline` (stage-host), release mode, and
# reports the median of repeated runs next to the cost of merely starting the binary (--help),
# measured in the same invocation.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-20}

swift build -c release --product stage-host >/dev/null
host=$(swift build -c release --show-bin-path)/stage-host

ws=$(mktemp -d)
trap 'rm -rf "$ws"' EXIT
head -c 5000000 /dev/urandom | base64 > "$ws/in.txt"   # a 6.7 MB input, hashed once then cached
cat > "$ws/pipeline.json" <<'JSON'
{
  "seed": 1,
  "stages": {
    "src":   {"uses": "source",    "inputs": {"text": {"file": "in.txt"}}},
    "up":    {"uses": "transform", "inputs": {"text": {"stage": "src"}}},
    "low":   {"uses": "transform", "inputs": {"text": {"stage": "src"}}, "params": {"mode": "lower"}},
    "rev":   {"uses": "transform", "inputs": {"text": {"stage": "up"}}, "params": {"mode": "reverse"}},
    "both":  {"uses": "concat",    "inputs": {"a": {"stage": "rev"}, "b": {"stage": "low"}}},
    "mix":   {"uses": "shuffle",   "inputs": {"text": {"stage": "both"}}},
    "copy":  {"uses": "sleeper",   "inputs": {"text": {"stage": "mix"}}},
    "final": {"uses": "transform", "inputs": {"text": {"stage": "copy"}}, "params": {"suffix": "."}}
  }
}
JSON
"$host" run --workspace "$ws" >/dev/null

python3 - "$host" "$ws" "$runs" <<'PY'
import statistics, subprocess, sys, time
host, ws, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
def timed(args):
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        out = subprocess.run([host] + args, capture_output=True, text=True, check=True).stdout
        samples.append(time.perf_counter() - t)
    return samples, out
noop, out = timed(["run", "--workspace", ws])
assert "8 stages: 0 ran, 0 cached, 8 up to date" in out, out
start, _ = timed(["--help"])
m, s = statistics.median(noop), statistics.median(start)
print(f"no-op `pipeline run`, 8 stages up to date: median {m*1000:.1f} ms, min {min(noop)*1000:.1f} ms ({runs} runs)")
print(f"reference, process start (`pipeline --help`): median {s*1000:.1f} ms")
print(f"ratio no-op run / process start: {m/s:.2f}x; target under 300 ms: {'met' if m < 0.3 else 'MISSED'}")
PY
