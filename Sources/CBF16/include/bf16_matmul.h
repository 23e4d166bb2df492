#ifndef BF16_MATMUL_H
#define BF16_MATMUL_H

#include <stdint.h>

/// Matrix products of bfloat16 inputs accumulated in float32, through oneDNN's matmul (AMX or
/// AVX-512 BF16 kernels). oneDNN is opened at run time (libdnnl.so.2), so the package builds and
/// runs without it; bf16 is then reported unavailable. Row-major throughout.

/// 1 when oneDNN loaded and has a fast bf16 matmul on this CPU; 0 otherwise.
int bf16_matmul_available(void);

/// Why bf16 matmuls are unavailable, or NULL.
const char *bf16_matmul_problem(void);

/// The oneDNN kernel behind a dense (m x k) x (k x n) product ("brg:avx512_core_amx_bf16"), for logs.
const char *bf16_matmul_kernel(long m, long n, long k);

/// C (m x n, ldc) = op(A) op(B) + beta C, with op(A) (m x k) and op(B) (k x n); A is stored
/// (m x k, lda), or (k x m, lda) when trans_a, and B likewise. beta is 0 or 1.
///
/// Runs on the calling thread only (oneDNN is held to one thread there), so a caller that splits
/// C into fixed blocks gets the same bits with any number of threads; oneDNN's own threading
/// may split the k sum differently with 2 threads than with 1. Safe to call from several threads
/// at once. Returns 0, or -1 on a oneDNN error.
int bf16_matmul(int trans_a, int trans_b, long m, long n, long k,
                const uint16_t *a, long lda, const uint16_t *b, long ldb, float *c, long ldc, float beta);

/// y[i] = x[i] rounded to bfloat16, to nearest even; NaN stays NaN.
void bf16_round(const float *x, uint16_t *y, long n);

#endif
