#!/usr/bin/env bash
# Training and sampling throughput of the Swift GPT against PyTorch on the same machine, same
# threads, same model, batch and optimiser, in one invocation.
#
#   bench/nn-train.sh [a|b ...]        default: a b
#     a: d_model 256, 4 layers, 4 heads, d_ff 1024, context 128, batch 32, vocabulary 29,208
#     b: the seed's model: d_model 512, 8 layers, 8 heads, d_ff 2048, context 128, batch 64
#
# Both sides run in float32 and with bfloat16 products (Swift: `--precision bfloat16`, oneDNN;
# PyTorch: bf16 autocast). Each run happens twice, interleaved, and the better one counts: the
# machines here are shared and a single run can be 20% off. PyTorch is skipped when
# `import torch` fails.
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
    runs=()
    for round in 1 2; do
        for precision in float32 bfloat16; do
            runs+=("$("$bench" "$config" --steps "$steps" --threads "$threads" --precision "$precision")")
            if [ $have_torch = 1 ]; then
                runs+=("$(python3 bench/torch_train.py "$config" --steps "$steps" --threads "$threads" --precision "$precision")")
            fi
        done
    done
    python3 - "$config" "$threads" "${runs[@]}" <<'PY'
import json, sys
config, threads = sys.argv[1], sys.argv[2]
runs = [json.loads(r) for r in sys.argv[3:]]
def best(side, precision):
    mine = [r for r in runs if ("torch" in r) == (side == "torch") and r["precision"] == precision]
    return max(mine, key=lambda r: r["train_tokens_per_s"]) if mine else None
s32, s16, t32, t16 = best("swift", "float32"), best("swift", "bfloat16"), best("torch", "float32"), best("torch", "bfloat16")
print(f"config {config} ({s32['parameters']/1e6:.1f}M parameters, batch {s32['batch']}, {threads} threads, OpenBLAS core {s32['blas_core']})")
print(f"  Swift   float32  {s32['train_tokens_per_s']:6.0f} tokens/s  {s32['gflops']:5.1f} GFLOP/s = "
      f"{100 * s32['fraction_of_peak']:.0f}% of the sgemm peak measured here ({s32['sgemm_peak_gflops']:.0f} GFLOP/s)   peak memory {s32['peak_rss_mib']:.0f} MiB")
print(f"          bfloat16 {s16['train_tokens_per_s']:6.0f} tokens/s  {s16['gflops']:5.1f} GFLOP/s = "
      f"{100 * s16['gflops'] / s16['bf16_peak_gflops']:.0f}% of the bf16 matmul peak measured here ({s16['bf16_peak_gflops']:.0f} GFLOP/s, {s16['bf16_kernel']})   peak memory {s16['peak_rss_mib']:.0f} MiB")
print(f"          sampling {s32['sampling_tokens_per_s']:6.0f} tokens/s (KV cache, 32 sequences, float32)")
if t32:
    print(f"  PyTorch float32  {t32['train_tokens_per_s']:6.0f} tokens/s  (torch {t32['torch']}, eager)   peak memory {t32['peak_rss_mib']:.0f} MiB")
    print(f"          bfloat16 {t16['train_tokens_per_s']:6.0f} tokens/s  (bf16 autocast)   peak memory {t16['peak_rss_mib']:.0f} MiB")
    print(f"  ratio Swift / PyTorch: float32 {s32['train_tokens_per_s'] / t32['train_tokens_per_s']:.2f}x, "
          f"bfloat16 {s16['train_tokens_per_s'] / t16['train_tokens_per_s']:.2f}x, "
          f"Swift bfloat16 / PyTorch float32 {s16['train_tokens_per_s'] / t32['train_tokens_per_s']:.2f}x")
else:
    print("  PyTorch not importable: no reference run")
PY
done
