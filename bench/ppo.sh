#!/usr/bin/env bash
# Seconds per PPO iteration and sampling tokens/s of the ppo stage on the `paper` profile's PPO
# (the seed's model, 128 completions of 64 tokens, 4 passes in minibatches of 32), against the
# seed's loop in PyTorch (no KV cache) on the same machine and threads, in one invocation.
#
#   bench/ppo.sh [ITERATIONS]       default 3; the best iteration of each side counts
#
# PyTorch is skipped when `import torch` fails. The last line is the float32 floor: the matrix
# products of one iteration at the sgemm peak measured in the same process, with nothing else.
set -euo pipefail
cd "$(dirname "$0")/.."
iterations=${1:-3}
threads=${THREADS:-$(nproc)}

swift build -c release --product ppo-bench >/dev/null
swift_run=$("$(swift build -c release --show-bin-path)/ppo-bench" --iterations "$iterations" --threads "$threads")
torch_run=""
python3 -c "import torch" 2>/dev/null && torch_run=$(python3 bench/torch_ppo.py --iterations "$iterations" --threads "$threads")

python3 - "$threads" "$swift_run" "$torch_run" <<'PY'
import json, sys
threads, swift = sys.argv[1], json.loads(sys.argv[2])
torch = json.loads(sys.argv[3]) if sys.argv[3] else None
print(f"PPO iteration, paper profile ({swift['completions']} completions x {swift['rollout_len']} tokens, {threads} threads)")
print(f"  Swift    {swift['seconds_per_iteration']:6.1f} s/iteration   sampling {swift['sampling_tokens_per_s']:7.0f} tokens/s (KV cache)")
if torch:
    print(f"  PyTorch  {torch['seconds_per_iteration']:6.1f} s/iteration   sampling {torch['sampling_tokens_per_s']:7.0f} tokens/s "
          f"(the seed's loop, no KV cache; torch {torch['torch']})")
    print(f"  ratio PyTorch / Swift: {torch['seconds_per_iteration'] / swift['seconds_per_iteration']:.2f}x per iteration, "
          f"{swift['sampling_tokens_per_s'] / torch['sampling_tokens_per_s']:.2f}x sampling")
else:
    print("  PyTorch not importable: no reference run")
floor = swift['floor_seconds']
print(f"  float32 floor: {swift['matrix_tflop']:.2f} TFLOP of matrix products per iteration at this machine's sgemm peak "
      f"({swift['sgemm_peak_gflops']:.0f} GFLOP/s) = {floor:.1f} s" +
      (f", so at most {torch['seconds_per_iteration'] / floor:.2f}x against this PyTorch run" if torch else ""))
PY
