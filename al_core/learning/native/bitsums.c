/* The bit screen's sums, fused: see al_core/learning/nativebits.py.
 *
 * For rows start..stop-1 of a pool kept transposed (K rows of n float32, the last row
 * ones) or of a float32 pool itself (n rows of K, with scaled intercepts B), and scaled
 * weights w (C x K float32), each row's decisions d_c = w_c . x (+ B_c) are formed in
 * float32 (any order of additions: the bound of roundoff.decision_error
 * holds for every order, fused multiply-adds included), and from them, as
 * bitexp.bit_scores_block computes them in numpy passes:
 *
 *   term_c = the float32 whose bits are int32(max(d_c + (BIAS - max_c d_c), 0)),
 *   S      = sum_c term_c                (float32),
 *   E2     = the second largest term_c   (only where E2 is not NULL),
 *
 * and, where HI is not NULL, least confidence's upper bounds as
 * bitexp.bounds_from_sums writes them: S = 0 on rows SKIP marks, then
 * HI = NEG_LOWER / (double) S + C_HI (-inf where S = 0), the same IEEE operations.
 *
 * Built without -ffast-math: every operation is the IEEE one the bounds assume.
 */
/* No headers and not linked to the C library (-nostdlib): a bare compiler builds it
 * (a memset the compiler may emit is found in the loading process, as Python's). */
typedef long long int64_t;
typedef int int32_t;
#define memcpy __builtin_memcpy

#define LANES 16
#define MAX_CLASSES 64
#define MAX_FEATURES 256 /* of a pool read row by row */
/* Floats ahead of each of the K rows read: their K streams are too many for the
 * hardware's prefetcher (100,000 rows of 10 classes: 0.68 ms after a fit, 1.35
 * without). */
#define AHEAD 128
/* Rows ahead of a group of a pool read row by row, prefetched as its blocks are read:
 * a block's 16 loads, one a row, hop from row to row where the prefetcher expects a
 * stream (64 features: 3.9 ms for 100,000 rows without, 2.4 with; stop 40). */
#define AHEAD_ROWS 32

typedef float vf __attribute__((vector_size(LANES * 4)));
typedef int32_t vi __attribute__((vector_size(LANES * 4)));

static const float BIAS = 127.0f * 8388608.0f; /* the bits of 1.0f, 127 * 2**23 */

static inline vf vmax(vf a, vf b) {
    vi g = a > b;
    return (vf)(((vi)a & g) | ((vi)b & ~g));
}

static inline vf vmin(vf a, vf b) {
    vi g = a < b;
    return (vf)(((vi)a & g) | ((vi)b & ~g));
}

static inline vf load(const float *p) {
    vf v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* acc[c] += the decisions' sums over features of a group of LANES rows of X (n rows of
 * K) from row X, lanes the rows, the features in order as from a transposed pool. Blocks
 * of 16 features are transposed in registers by four rounds of two-vector shuffles
 * (each swaps the halves of 2d x 2d blocks, d = 8, 4, 2, 1) and summed from there; the
 * last block overlaps the one before it, its features summed already skipped. Copying
 * the rows value by value into ROWS and summing from there, as with fewer than 16
 * features, took 1.13 ms for 100,000 rows of 20 features and 10 classes against 0.69
 * (stop 40; 32 features 1.67 against 0.94, 256 features 14.8 against 12.5). Only
 * with AVX-512, where it was measured: elsewhere a 16-lane shuffle is emulated. */
static inline __attribute__((always_inline)) void row_major_sums(
    const float *restrict X, int64_t K, const float *restrict w, const int64_t C,
    vf *restrict acc, float *restrict rows)
{
#if LANES == 16 && defined(__AVX512F__) && defined(__GNUC__) && !defined(__clang__)
    static const vi LOW[4] = {
        {0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23},
        {0, 1, 2, 3, 16, 17, 18, 19, 8, 9, 10, 11, 24, 25, 26, 27},
        {0, 1, 16, 17, 4, 5, 20, 21, 8, 9, 24, 25, 12, 13, 28, 29},
        {0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30}};
    static const vi HIGH[4] = {
        {8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31},
        {4, 5, 6, 7, 20, 21, 22, 23, 12, 13, 14, 15, 28, 29, 30, 31},
        {2, 3, 18, 19, 6, 7, 22, 23, 10, 11, 26, 27, 14, 15, 30, 31},
        {1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31}};
    if (K >= LANES) {
        for (int64_t k0 = 0;; k0 += LANES) {
            const int64_t kb = k0 + LANES <= K ? k0 : K - LANES;
            const int64_t first = k0 - kb; /* of the block's features, summed already */
            vf v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13, v14, v15;
#define LOAD(j) v##j = load(X + j * K + kb); \
            __builtin_prefetch(X + (j + AHEAD_ROWS) * K + kb);
            LOAD(0) LOAD(1) LOAD(2) LOAD(3) LOAD(4) LOAD(5) LOAD(6) LOAD(7)
            LOAD(8) LOAD(9) LOAD(10) LOAD(11) LOAD(12) LOAD(13) LOAD(14) LOAD(15)
#define SWAP(a, b, r) { const vf t = v##a; \
            v##a = __builtin_shuffle(t, v##b, LOW[r]); \
            v##b = __builtin_shuffle(t, v##b, HIGH[r]); }
            SWAP(0, 8, 0) SWAP(1, 9, 0) SWAP(2, 10, 0) SWAP(3, 11, 0)
            SWAP(4, 12, 0) SWAP(5, 13, 0) SWAP(6, 14, 0) SWAP(7, 15, 0)
            SWAP(0, 4, 1) SWAP(1, 5, 1) SWAP(2, 6, 1) SWAP(3, 7, 1)
            SWAP(8, 12, 1) SWAP(9, 13, 1) SWAP(10, 14, 1) SWAP(11, 15, 1)
            SWAP(0, 2, 2) SWAP(1, 3, 2) SWAP(4, 6, 2) SWAP(5, 7, 2)
            SWAP(8, 10, 2) SWAP(9, 11, 2) SWAP(12, 14, 2) SWAP(13, 15, 2)
            SWAP(0, 1, 3) SWAP(2, 3, 3) SWAP(4, 5, 3) SWAP(6, 7, 3)
            SWAP(8, 9, 3) SWAP(10, 11, 3) SWAP(12, 13, 3) SWAP(14, 15, 3)
#define SUM(j) if (j >= first) \
            for (int64_t c = 0; c < C; c++) acc[c] += v##j * w[c * K + kb + j];
            SUM(0) SUM(1) SUM(2) SUM(3) SUM(4) SUM(5) SUM(6) SUM(7)
            SUM(8) SUM(9) SUM(10) SUM(11) SUM(12) SUM(13) SUM(14) SUM(15)
#undef LOAD
#undef SWAP
#undef SUM
            if (k0 + LANES >= K) return;
        }
    }
#endif
    for (int64_t j = 0; j < LANES; j++)
        for (int64_t k = 0; k < K; k++) rows[k * LANES + j] = X[j * K + k];
    for (int64_t k = 0; k < K; k++) {
        const vf x = load(rows + k * LANES);
        for (int64_t c = 0; c < C; c++) acc[c] += x * w[c * K + k];
    }
}

/* Inlined into each case of bit_sums with C a constant, so that the C accumulators
 * stay in registers. The pool is X transposed (TRANSPOSED: K rows of n, the last row
 * ones, B NULL) or X itself (n rows of K, the intercepts B added first). */
static inline __attribute__((always_inline)) void sums_body(
    const float *restrict X, int64_t n, int64_t K, int transposed, const float *restrict w,
    const float *restrict B, const int64_t C, int64_t start, int64_t stop,
    float *restrict S, float *restrict E2)
{
    vf acc[MAX_CLASSES];
    float rows[MAX_FEATURES * LANES]; /* a group of X's rows, transposed */
    const vf zero = {0};
    int64_t i = start;
    for (; i + LANES <= stop; i += LANES) {
        for (int64_t c = 0; c < C; c++) acc[c] = B ? zero + B[c] : zero;
        if (transposed) {
            for (int64_t k = 0; k < K; k++) {
                const vf x = load(X + k * n + i);
                __builtin_prefetch(X + k * n + i + AHEAD);
                for (int64_t c = 0; c < C; c++) acc[c] += x * w[c * K + k];
            }
        } else {
            row_major_sums(X + i * K, K, w, C, acc, rows);
        }
        vf top = acc[0];
        for (int64_t c = 1; c < C; c++) top = vmax(top, acc[c]);
        const vf shift = BIAS - top;
        vf s = zero, t1 = zero, t2 = zero;
        for (int64_t c = 0; c < C; c++) {
            vf v = acc[c] + shift;
            v = (vf)((vi)v & (v > zero)); /* below 2**-127: zero, not a wrapped integer */
            vi bits = __builtin_convertvector(v, vi); /* truncation */
            vf term = (vf)bits;
            s += term;
            if (E2) {
                t2 = vmax(t2, vmin(t1, term));
                t1 = vmax(t1, term);
            }
        }
        memcpy(S + (i - start), &s, sizeof s);
        if (E2) memcpy(E2 + (i - start), &t2, sizeof t2);
    }
    for (; i < stop; i++) { /* the last rows, one by one */
        float a[MAX_CLASSES];
        for (int64_t c = 0; c < C; c++) {
            float d = B ? B[c] : 0.0f;
            for (int64_t k = 0; k < K; k++)
                d += (transposed ? X[k * n + i] : X[i * K + k]) * w[c * K + k];
            a[c] = d;
        }
        float top = a[0];
        for (int64_t c = 1; c < C; c++) top = a[c] > top ? a[c] : top;
        const float shift = BIAS - top;
        float s = 0.0f, t1 = 0.0f, t2 = 0.0f;
        for (int64_t c = 0; c < C; c++) {
            float v = a[c] + shift;
            v = v > 0.0f ? v : 0.0f;
            int32_t bits = (int32_t)v;
            float term;
            memcpy(&term, &bits, sizeof term);
            s += term;
            t2 = t2 > (t1 < term ? t1 : term) ? t2 : (t1 < term ? t1 : term);
            t1 = t1 > term ? t1 : term;
        }
        S[i - start] = s;
        if (E2) E2[i - start] = t2;
    }
}

static void upper_bounds(int64_t rows, float *restrict S, const unsigned char *restrict skip,
                         double neg_lower, double c_hi, double *restrict hi)
{
    /* Eight rows at a time, written as vectors: the compiler kept the loop with its
     * select scalar, a division a row, 0.13 ms of 100,000 rows' 0.74 (0.04 so). The
     * same bits: a skipped row's sum is +0, as before. */
    typedef float vf8 __attribute__((vector_size(32)));
    typedef int32_t vi8 __attribute__((vector_size(32)));
    typedef unsigned char vb8 __attribute__((vector_size(8)));
    typedef double vd8 __attribute__((vector_size(64)));
    int64_t j = 0;
    for (; j + 8 <= rows; j += 8) {
        vf8 s;
        vb8 b;
        memcpy(&s, S + j, sizeof s);
        memcpy(&b, skip + j, sizeof b);
        const vi8 kept = __builtin_convertvector(b == 0, vi8); /* -1 or 0 */
        s = (vf8)((vi8)s & kept);
        memcpy(S + j, &s, sizeof s);
        const vd8 h = neg_lower / __builtin_convertvector(s, vd8) + c_hi;
        memcpy(hi + j, &h, sizeof h);
    }
    for (; j < rows; j++) {
        const float s = skip[j] ? 0.0f : S[j];
        S[j] = s;
        hi[j] = neg_lower / (double)s + c_hi;
    }
}

#define CASE(CC) case CC: sums_body(X, n, K, transposed, w, B, CC, start, stop, S, E2); break;

/* Returns 0, or -1 for arguments outside what the kernel takes. */
int bit_sums(const float *X, int64_t n, int64_t K, int transposed, const float *w,
             const float *B, int64_t C, int64_t start, int64_t stop, float *S, float *E2,
             const unsigned char *skip, double neg_lower, double c_hi, double *hi)
{
    if (C < 2 || C > MAX_CLASSES || K < 1 || start < 0 || stop > n || start > stop) return -1;
    if (!transposed && (K > MAX_FEATURES || !B)) return -1;
    switch (C) {
        CASE(2) CASE(3) CASE(4) CASE(5) CASE(6) CASE(7) CASE(8) CASE(9) CASE(10)
        CASE(11) CASE(12) CASE(13) CASE(14) CASE(15) CASE(16)
        default: sums_body(X, n, K, transposed, w, B, C, start, stop, S, E2); break;
    }
    if (hi && skip) upper_bounds(stop - start, S, skip, neg_lower, c_hi, hi);
    return 0;
}
