/* Products of a few gathered rows as chains of fused multiply-adds: see
 * al_core/learning/nativechains.py.
 *
 * OUT[r * C + c] = fma(X[i, K-1], B[K-1, c], ... fma(X[i, 1], B[1, c],
 *                  fma(X[i, 0], B[0, c], 0)) ...)  for i = IDS[r],
 *
 * X of n rows of K, B of K rows of C, both C-contiguous: each product one chain from
 * zero, its features in order, each step rounded once. That is how OpenBLAS's
 * matrix-matrix kernels sum each element of a product on the machines here; whether
 * they do on this one is checked against its BLAS before the chains are used
 * (gathered.fma_chains_match). Built without -ffast-math: nothing reassociates them.
 */
/* No headers and not linked to the C library (-nostdlib): a bare compiler builds it
 * (where the processor has no fused multiply-add, fma is found in the loading process,
 * as Python's). */
typedef long long int64_t;

#define CHAINS(NAME, T, FMA)                                                              \
    void NAME(const T *restrict X, int64_t K, const int64_t *restrict ids, int64_t m,     \
              const T *restrict B, int64_t C, T *restrict out)                           \
    {                                                                                     \
        for (int64_t r = 0; r < m; r++) {                                                 \
            const T *restrict x = X + ids[r] * K;                                         \
            T *restrict o = out + r * C;                                                  \
            for (int64_t c = 0; c < C; c++) o[c] = 0;                                     \
            /* Classes side by side (vectors of them), features in order. */             \
            for (int64_t k = 0; k < K; k++)                                               \
                for (int64_t c = 0; c < C; c++) o[c] = FMA(x[k], B[k * C + c], o[c]);     \
        }                                                                                 \
    }

CHAINS(chains64, double, __builtin_fma)
CHAINS(chains32, float, __builtin_fmaf)
