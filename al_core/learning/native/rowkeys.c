/* A two-class screen's keys, fused: see al_core/learning/nativekeys.py.
 *
 * For each row i of a float64 pool X (n rows of K, C order) and weights w (K float64),
 * the decision d_i = w . x_i + b is formed in float64 (any order of additions: the
 * bound of roundoff.decision_error holds for every order, fused multiply-adds
 * included), and its key written as the exact path writes it:
 *
 *   KEYS[i] = -|d_i|, or -inf on rows SKIP marks.
 *
 * While keying, it gathers every row whose key may be among the TOP largest keys of
 * the rows not skipped, or within MARGIN of the TOP-th largest: at the end, ROWS and
 * BUF hold, in ascending order of rows, every row whose key is at least
 * (the TOP-th largest key) - MARGIN, rounded as that subtraction rounds, and some
 * more. A NaN key is always gathered.
 *
 * Built without -ffast-math: every operation is the IEEE one the bounds assume.
 * No headers and not linked to the C library (-nostdlib).
 */
typedef long long int64_t;
#define memcpy __builtin_memcpy

#define LANES 8
#define MAX_CHUNKS 512 /* of LANES features: 4,096 features */

typedef double vd __attribute__((vector_size(LANES * 8)));
typedef int64_t vl __attribute__((vector_size(LANES * 8)));
typedef signed char vc __attribute__((vector_size(LANES)));

static inline vd load(const double *p) {
    vd v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* Lane r of the result: the sum of the lanes of a[r]. */
static inline vd lane_sums(const vd *a) {
    const vl even = {0, 8, 2, 10, 4, 12, 6, 14}, odd = {1, 9, 3, 11, 5, 13, 7, 15};
    const vl lo2 = {0, 1, 8, 9, 4, 5, 12, 13}, hi2 = {2, 3, 10, 11, 6, 7, 14, 15};
    const vl lo4 = {0, 1, 2, 3, 8, 9, 10, 11}, hi4 = {4, 5, 6, 7, 12, 13, 14, 15};
    vd t[4], u[2];
    for (int p = 0; p < 4; p++)
        t[p] = __builtin_shuffle(a[2 * p], a[2 * p + 1], even)
             + __builtin_shuffle(a[2 * p], a[2 * p + 1], odd);
    for (int p = 0; p < 2; p++)
        u[p] = __builtin_shuffle(t[2 * p], t[2 * p + 1], lo2)
             + __builtin_shuffle(t[2 * p], t[2 * p + 1], hi2);
    return __builtin_shuffle(u[0], u[1], lo4) + __builtin_shuffle(u[0], u[1], hi4);
}

/* The k-th largest (k >= 1) of v[0..m-1], NaN counted as largest; v is reordered. */
static double kth_largest(double *v, int64_t m, int64_t k) {
    for (int64_t j = 0; j < m; j++)
        if (v[j] != v[j]) v[j] = __builtin_inf();
    int64_t lo = 0, hi = m - 1, want = k - 1; /* position in descending order */
    while (lo < hi) {
        const double pivot = v[lo + (hi - lo) / 2];
        int64_t i = lo, j = hi;
        while (i <= j) {
            while (v[i] > pivot) i++;
            while (v[j] < pivot) j--;
            if (i <= j) {
                const double t = v[i];
                v[i] = v[j];
                v[j] = t;
                i++;
                j--;
            }
        }
        if (want <= j) hi = j;
        else if (want >= i) lo = i;
        else break;
    }
    return v[want];
}

typedef struct {
    double *keys;
    int64_t *rows;
    double *scratch;
    int64_t count, cap, top;
    double margin, floor;
} gathered_t;

/* Keep only what may still matter: keys at least the TOP-th largest - MARGIN.
 * Returns 0, or -2 where that leaves no room for another group. */
static int compact(gathered_t *g) {
    if (g->count < g->top) return g->count + LANES <= g->cap ? 0 : -2;
    for (int64_t j = 0; j < g->count; j++) g->scratch[j] = g->keys[j];
    const double floor = kth_largest(g->scratch, g->count, g->top) - g->margin;
    int64_t kept = 0;
    for (int64_t j = 0; j < g->count; j++)
        if (!(g->keys[j] < floor)) {
            g->keys[kept] = g->keys[j];
            g->rows[kept] = g->rows[j];
            kept++;
        }
    g->count = kept;
    if (floor > g->floor) g->floor = floor;
    return kept + LANES <= g->cap ? 0 : -2;
}

static inline int push(gathered_t *g, double key, int64_t row) {
    g->keys[g->count] = key;
    g->rows[g->count] = row;
    g->count++;
    return g->count + LANES > g->cap ? compact(g) : 0;
}

/* Inlined into each case of row_keys with CHUNKS a constant, so that a row's loads
 * and multiply-adds are unrolled and the group's sums stay in registers. Returns 0,
 * or -2 as row_keys. */
static inline __attribute__((always_inline)) int keys_body(
    const double *restrict X, int64_t n, int64_t K, const vd *restrict wv, vl tail, double b,
    const unsigned char *restrict skip, double *restrict keys, gathered_t *g,
    const int64_t chunks)
{
    const double neg_inf = -__builtin_inf();
    const vl sign = (vl){0} + (int64_t)(1ULL << 63);
    int64_t i = 0;
    /* A row's last chunk reads into the next row: groups whose reads stay inside X. */
    for (; i + LANES <= n && (i + LANES - 1) * K + LANES * chunks <= n * K; i += LANES) {
        vd acc[LANES];
        for (int r = 0; r < LANES; r++) {
            const double *x = X + (i + r) * K;
            vd a = (vd){0};
            for (int64_t c = 0; c + 1 < chunks; c++) a += load(x + LANES * c) * wv[c];
            /* Lanes of the next row are cleared, not multiplied by a zero weight: an
             * infinity there would make a NaN. */
            a += (vd)((vl)load(x + LANES * (chunks - 1)) & tail) * wv[chunks - 1];
            acc[r] = a;
        }
        vd k = (vd)((vl)(lane_sums(acc) + b) | sign); /* -|d| */
        if (skip) {
            vc bytes;
            memcpy(&bytes, skip + i, sizeof bytes);
            const vl s = __builtin_convertvector(bytes != 0, vl); /* 0 or -1 */
            k = (vd)(((vl)k & ~s) | ((vl)((vd){0} + neg_inf) & s));
        }
        memcpy(keys + i, &k, sizeof k);
        const vl reach = ~(k < g->floor) & (k != neg_inf);
        /* any lane: an OR over the lanes, by halves */
        vl any = reach | __builtin_shuffle(reach, (vl){4, 5, 6, 7, 0, 1, 2, 3});
        any |= __builtin_shuffle(any, (vl){2, 3, 0, 1, 6, 7, 4, 5});
        any |= __builtin_shuffle(any, (vl){1, 0, 3, 2, 5, 4, 7, 6});
        if (any[0])
            for (int r = 0; r < LANES; r++)
                if (reach[r] && push(g, k[r], i + r) != 0) return -2;
    }
    for (; i < n; i++) { /* the last rows, one by one */
        double d = 0.0;
        for (int64_t j = 0; j < K; j++) d += X[i * K + j] * wv[j / LANES][j % LANES];
        d += b;
        const double k = (skip && skip[i]) ? neg_inf : -__builtin_fabs(d);
        keys[i] = k;
        if (!(k < g->floor) && k != neg_inf && push(g, k, i) != 0) return -2;
    }
    return 0;
}

#define CASE(CC) case CC: status = keys_body(X, n, K, wv, tail, b, skip, keys, &g, CC); break;

/* Returns how many rows were gathered; -1 for arguments outside what the kernel
 * takes, -2 where more rows are within MARGIN of the TOP-th largest key than CAP
 * leaves room for (ties by the thousand). */
int64_t row_keys(const double *X, int64_t n, int64_t K, const double *w, double b,
                 const unsigned char *skip, double *keys, int64_t top, double margin,
                 double *buf, int64_t *rows, double *scratch, int64_t cap)
{
    const int64_t chunks = (K + LANES - 1) / LANES;
    if (K < 1 || chunks > MAX_CHUNKS || n < 0 || top < 1 || cap < top + 2 * LANES
        || !(margin >= 0.0))
        return -1;
    vd wv[MAX_CHUNKS];
    vl tail = {0}; /* the lanes of a row's last chunk that are its own */
    for (int64_t c = 0; c < chunks; c++)
        for (int l = 0; l < LANES; l++) {
            const int64_t j = LANES * c + l;
            wv[c][l] = j < K ? w[j] : 0.0;
            if (c == chunks - 1) tail[l] = j < K ? -1 : 0;
        }
    gathered_t g = {buf, rows, scratch, 0, cap, top, margin, -__builtin_inf()};
    int status;
    switch (chunks) {
        CASE(1) CASE(2) CASE(3) CASE(4) CASE(5) CASE(6) CASE(7) CASE(8)
        default: status = keys_body(X, n, K, wv, tail, b, skip, keys, &g, chunks); break;
    }
    return status != 0 ? -2 : g.count;
}
