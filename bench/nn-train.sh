#!/usr/bin/env bash
# Training and sampling throughput of the Swift GPT against PyTorch on the same machine, same
# threads, same model, batch and optimiser, in one invocation.
#
#   bench/nn-train.sh [a|b ...]        default: a b
#     a: d_model 256, 4 layers, 4 heads, d_ff 1024, context 128, batch 32, vocabulary 29,208
#     b: the seed's model: d_model 512, 8 layers, 8 heads, d_ff 2048, context 128, batch 64
#
# Each side runs twice, alternating, and the better run counts: the machines here are shared
# and a single run can be 20% off. PyTorch is skipped when `import torch` fails.
set -euo pipefail
cd "$(dirname "$0")/.."
configs=("${@:-a b}")
[ $# -eq 0 ] && configs=(a b)
threads=${THREADS:-$(nproc)}

swift build -c release --product nn-bench >/dev/null
bench=$(swift build -c release --show-bin-path)/nn-bench
have_torch=0
python3 -c "import torch" 2>/dev/null && have_torch=1

for config in "${configs[@]}"; do
    steps=5; [ "$config" = b ] && steps=3
    swift_runs=(); torch_runs=()
    for round in 1 2; do
        swift_runs+=("$("$bench" "$config" --steps "$steps" --threads "$threads")")
        if [ $have_torch = 1 ]; then
            torch_runs+=("$(python3 bench/torch_train.py "$config" --steps "$steps" --threads "$threads")")
        fi
    done
    python3 - "$config" "$threads" "${#torch_runs[@]}" "${swift_runs[@]}" "${torch_runs[@]}" <<'PY'
import json, sys
config, threads, n_torch = sys.argv[1], sys.argv[2], int(sys.argv[3])
runs = [json.loads(r) for r in sys.argv[4:]]
swift = max(runs[:2], key=lambda r: r["train_tokens_per_s"])
torch = max(runs[2:2 + n_torch], key=lambda r: r["train_tokens_per_s"]) if n_torch else None
print(f"config {config} ({swift['parameters']/1e6:.1f}M parameters, batch {swift['batch']}, {threads} threads, OpenBLAS core {swift['blas_core']})")
print(f"  Swift   train {swift['train_tokens_per_s']:8.0f} tokens/s  {swift['gflops']:6.1f} GFLOP/s = "
      f"{100 * swift['fraction_of_peak']:.0f}% of the sgemm peak measured here ({swift['sgemm_peak_gflops']:.0f} GFLOP/s)")
print(f"          sampling {swift['sampling_tokens_per_s']:6.0f} tokens/s (KV cache, 32 sequences)   peak memory {swift['peak_rss_mib']:.0f} MiB")
if torch:
    print(f"  PyTorch train {torch['train_tokens_per_s']:8.0f} tokens/s  (torch {torch['torch']}, eager float32)   peak memory {torch['peak_rss_mib']:.0f} MiB")
    print(f"  ratio Swift / PyTorch: {swift['train_tokens_per_s'] / torch['train_tokens_per_s']:.2f}x")
else:
    print("  PyTorch not importable: no reference run")
PY
done
