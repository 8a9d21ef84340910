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
        const float *xs = X + i;
        int64_t stride = n;
        if (!transposed) {
            for (int64_t j = 0; j < LANES; j++)
                for (int64_t k = 0; k < K; k++) rows[k * LANES + j] = X[(i + j) * K + k];
            xs = rows;
            stride = LANES;
        }
        for (int64_t c = 0; c < C; c++) acc[c] = B ? zero + B[c] : zero;
        for (int64_t k = 0; k < K; k++) {
            const vf x = load(xs + k * stride);
            if (transposed) __builtin_prefetch(xs + k * stride + AHEAD);
            for (int64_t c = 0; c < C; c++) acc[c] += x * w[c * K + k];
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
    for (int64_t j = 0; j < rows; j++) {
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
