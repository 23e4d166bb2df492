#include "bf16_matmul.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void bf16_round(const float *x, uint16_t *y, long n) {
    const uint32_t *bits = (const uint32_t *)x;
    for (long i = 0; i < n; i++) {
        uint32_t u = bits[i];
        uint32_t rounded = (u + 0x7FFF + ((u >> 16) & 1)) >> 16;
        y[i] = (u & 0x7FFFFFFF) > 0x7F800000 ? 0x7FC0 : (uint16_t)rounded;
    }
}

#if __has_include(<oneapi/dnnl/dnnl.h>)
#include <oneapi/dnnl/dnnl.h>
#define HAVE_DNNL_HEADERS 1
#endif

#ifndef HAVE_DNNL_HEADERS

int bf16_matmul_available(void) { return 0; }
const char *bf16_matmul_problem(void) {
    return "built without oneDNN's headers: install libdnnl-dev (make deps) and rebuild";
}
const char *bf16_matmul_kernel(long m, long n, long k) { return "none"; }
int bf16_matmul(int trans_a, int trans_b, long m, long n, long k, const uint16_t *a, long lda,
                const uint16_t *b, long ldb, float *c, long ldc, float beta) { return -1; }

#else

// The oneDNN entry points used, looked up with dlsym.
#define DNNL_FUNCTIONS(X)                                                                           \
    X(dnnl_engine_create) X(dnnl_stream_create) X(dnnl_memory_desc_init_by_strides)                 \
    X(dnnl_memory_desc_get_size) X(dnnl_memory_create) X(dnnl_memory_destroy)                       \
    X(dnnl_matmul_desc_init) X(dnnl_primitive_desc_create) X(dnnl_primitive_desc_query)             \
    X(dnnl_primitive_desc_query_md) X(dnnl_primitive_desc_destroy) X(dnnl_primitive_create)         \
    X(dnnl_primitive_destroy) X(dnnl_primitive_execute) X(dnnl_primitive_attr_create)               \
    X(dnnl_primitive_attr_destroy) X(dnnl_primitive_attr_set_scratchpad_mode)                       \
    X(dnnl_primitive_attr_set_post_ops) X(dnnl_post_ops_create) X(dnnl_post_ops_destroy)            \
    X(dnnl_post_ops_append_sum)

#define DECLARE(name) static __typeof__(&name) p_##name;
DNNL_FUNCTIONS(DECLARE)

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static const char *problem = NULL;
static char problem_text[256];
static dnnl_engine_t engine;
static void (*omp_set_num_threads_fn)(int);

/// One product shape: its primitive and the scratch memory it asks for.
typedef struct {
    int trans_a, trans_b, accumulate;
    long m, n, k, lda, ldb, ldc;
    dnnl_primitive_t matmul;
    dnnl_memory_desc_t a, b, c;
    size_t scratch_bytes;
    char kernel[64];
} Shape;

// Shapes are few (a handful per layer type); the cache only grows, so entries never move
// under a thread that is using one.
enum { CACHE_SIZE = 512 };
static Shape cache[CACHE_SIZE];
static int cache_count = 0;
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

// Each thread has its own stream and scratch buffer (user scratchpad mode is what makes
// concurrent execution safe).
static __thread dnnl_stream_t thread_stream;
static __thread void *thread_scratch;
static __thread size_t thread_scratch_bytes;

static void hold_to_one_thread(void) {
    if (omp_set_num_threads_fn) omp_set_num_threads_fn(1);
}

static Shape *shape_for(int trans_a, int trans_b, long m, long n, long k, long lda, long ldb, long ldc, int accumulate);

static void load(void) {
    void *handle = dlopen("libdnnl.so.2", RTLD_NOW | RTLD_GLOBAL);
    if (!handle) {
        problem = "oneDNN (libdnnl.so.2) not found: install libdnnl-dev (make deps)";
        return;
    }
#define LOOKUP(name)                                                                \
    if (!(p_##name = (__typeof__(&name))dlsym(handle, #name))) {                   \
        snprintf(problem_text, sizeof problem_text, "oneDNN has no %s", #name);     \
        problem = problem_text;                                                     \
        return;                                                                     \
    }
    DNNL_FUNCTIONS(LOOKUP)
    omp_set_num_threads_fn = (void (*)(int))dlsym(RTLD_DEFAULT, "omp_set_num_threads");
    if (p_dnnl_engine_create(&engine, dnnl_cpu, 0) != dnnl_success) {
        problem = "oneDNN could not create a CPU engine";
        return;
    }
    // Without AVX-512 BF16 or AMX oneDNN falls back to reference loops, far slower than sgemm.
    hold_to_one_thread();
    Shape *probe = shape_for(0, 0, 64, 64, 64, 64, 64, 64, 0);
    if (!probe) {
        problem = "oneDNN has no bf16 matmul for this CPU (it needs AVX-512 BF16 or AMX)";
    } else if (strncmp(probe->kernel, "ref", 3) == 0) {
        snprintf(problem_text, sizeof problem_text,
                 "oneDNN's bf16 matmul on this CPU is its reference kernel (%s); it needs AVX-512 BF16 or AMX",
                 probe->kernel);
        problem = problem_text;
    }
}

static int ready(void) {
    pthread_once(&load_once, load);
    return problem == NULL;
}

int bf16_matmul_available(void) { return ready(); }
const char *bf16_matmul_problem(void) { return ready() ? NULL : problem; }

// Row-major (rows x cols) with leading dimension ld, or stored transposed (cols x rows).
static int describe(dnnl_memory_desc_t *md, long rows, long cols, long ld, int transposed, dnnl_data_type_t type) {
    dnnl_dims_t dims = {rows, cols};
    dnnl_dims_t strides = {transposed ? 1 : ld, transposed ? ld : 1};
    return p_dnnl_memory_desc_init_by_strides(md, 2, dims, type, strides) == dnnl_success;
}

static int create(Shape *s) {
    if (!describe(&s->a, s->m, s->k, s->lda, s->trans_a, dnnl_bf16) ||
        !describe(&s->b, s->k, s->n, s->ldb, s->trans_b, dnnl_bf16) ||
        !describe(&s->c, s->m, s->n, s->ldc, 0, dnnl_f32)) return 0;
    dnnl_primitive_attr_t attr;
    if (p_dnnl_primitive_attr_create(&attr) != dnnl_success) return 0;
    p_dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user);
    if (s->accumulate) {
        dnnl_post_ops_t ops;
        p_dnnl_post_ops_create(&ops);
        p_dnnl_post_ops_append_sum(ops, 1.0f);
        p_dnnl_primitive_attr_set_post_ops(attr, ops);
        p_dnnl_post_ops_destroy(ops);
    }
    dnnl_matmul_desc_t desc;
    dnnl_primitive_desc_t pd;
    int ok = p_dnnl_matmul_desc_init(&desc, &s->a, &s->b, NULL, &s->c) == dnnl_success &&
             p_dnnl_primitive_desc_create(&pd, &desc, attr, engine, NULL) == dnnl_success;
    p_dnnl_primitive_attr_destroy(attr);
    if (!ok) return 0;
    const char *kernel = "unknown";
    p_dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &kernel);
    snprintf(s->kernel, sizeof s->kernel, "%s", kernel);
    s->scratch_bytes = p_dnnl_memory_desc_get_size(p_dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0));
    ok = p_dnnl_primitive_create(&s->matmul, pd) == dnnl_success;
    p_dnnl_primitive_desc_destroy(pd);
    return ok;
}

static Shape *shape_for(int trans_a, int trans_b, long m, long n, long k, long lda, long ldb, long ldc, int accumulate) {
    Shape key = {trans_a, trans_b, accumulate, m, n, k, lda, ldb, ldc};
    pthread_mutex_lock(&cache_lock);
    Shape *found = NULL;
    for (int i = 0; i < cache_count && !found; i++) {
        Shape *s = &cache[i];
        if (s->trans_a == trans_a && s->trans_b == trans_b && s->accumulate == accumulate && s->m == m &&
            s->n == n && s->k == k && s->lda == lda && s->ldb == ldb && s->ldc == ldc) found = s;
    }
    if (!found && cache_count < CACHE_SIZE && create(&key)) {
        cache[cache_count] = key;
        found = &cache[cache_count++];
    }
    pthread_mutex_unlock(&cache_lock);
    return found;
}

const char *bf16_matmul_kernel(long m, long n, long k) {
    if (!ready()) return "none";
    hold_to_one_thread();
    Shape *s = shape_for(0, 0, m, n, k, k, n, n, 0);
    return s ? s->kernel : "none";
}

int bf16_matmul(int trans_a, int trans_b, long m, long n, long k,
                const uint16_t *a, long lda, const uint16_t *b, long ldb, float *c, long ldc, float beta) {
    if (!ready() || (beta != 0 && beta != 1)) return -1;
    if (m == 0 || n == 0) return 0;
    if (k == 0) {  // an empty sum: C = beta C
        for (long i = 0; beta == 0 && i < m; i++) memset(c + i * ldc, 0, (size_t)n * sizeof(float));
        return 0;
    }
    hold_to_one_thread();
    Shape *s = shape_for(trans_a, trans_b, m, n, k, lda, ldb, ldc, beta != 0);
    if (!s) return -1;
    if (!thread_stream && p_dnnl_stream_create(&thread_stream, engine, dnnl_stream_default_flags) != dnnl_success)
        return -1;
    if (thread_scratch_bytes < s->scratch_bytes) {
        free(thread_scratch);
        thread_scratch_bytes = (s->scratch_bytes + 4095) / 4096 * 4096;
        thread_scratch = aligned_alloc(4096, thread_scratch_bytes);
        if (!thread_scratch) { thread_scratch_bytes = 0; return -1; }
    }
    dnnl_memory_desc_t scratch_md;
    dnnl_dims_t scratch_dims = {(dnnl_dim_t)s->scratch_bytes};
    dnnl_dims_t unit = {1};
    p_dnnl_memory_desc_init_by_strides(&scratch_md, 1, scratch_dims, dnnl_u8, unit);
    dnnl_memory_t ma = NULL, mb = NULL, mc = NULL, ms = NULL;
    int ok = p_dnnl_memory_create(&ma, &s->a, engine, (void *)a) == dnnl_success &&
             p_dnnl_memory_create(&mb, &s->b, engine, (void *)b) == dnnl_success &&
             p_dnnl_memory_create(&mc, &s->c, engine, c) == dnnl_success &&
             p_dnnl_memory_create(&ms, &scratch_md, engine, thread_scratch) == dnnl_success;
    if (ok) {
        dnnl_exec_arg_t args[4] = {{DNNL_ARG_SRC, ma}, {DNNL_ARG_WEIGHTS, mb}, {DNNL_ARG_DST, mc},
                                   {DNNL_ARG_SCRATCHPAD, ms}};
        ok = p_dnnl_primitive_execute(s->matmul, thread_stream, 4, args) == dnnl_success;
    }
    if (ma) p_dnnl_memory_destroy(ma);
    if (mb) p_dnnl_memory_destroy(mb);
    if (mc) p_dnnl_memory_destroy(mc);
    if (ms) p_dnnl_memory_destroy(ms);
    return ok ? 0 : -1;
}

#endif
