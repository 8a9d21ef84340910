/* A two-class screen's keys, fused: see al_core/learning/nativekeys.py.
 *
 * For each row i of a pool kept as int16 tiles of 16 rows (TILES: ceil(n / 16) tiles
 * of K x 16 values, tile g's value [k][r] being feature k of row 16 g + r, quantized:
 * rowtiles.tile_rows), float32 weights W (K) and a float64 intercept C, the decision
 * d_i = C + sum_k W[k] q_ik has its sum of products taken in float32 (every q exact
 * there; any order of additions) and C added in float64
 * (rowtiles.RowTiles.decision_error bounds its distance to the exact decision for every
 * order, fused multiply-adds and the quantization included), and its key written as
 * the exact path writes a two-class key:
 *
 *   KEYS[i] = -|d_i| (float64), or -inf on rows SKIP marks.
 *
 * While keying, it gathers every row whose key may be among the TOP largest keys of
 * the rows not skipped, or within MARGIN of the TOP-th largest: at the end, ROWS and
 * BUF hold, in ascending order of rows, every row not skipped whose key is at least
 * (the TOP-th largest key) - MARGIN, rounded as that subtraction rounds, and some
 * more. A NaN key is always gathered.
 *
 * Built without -ffast-math: every operation is the IEEE one the bounds assume.
 * No headers and not linked to the C library (-nostdlib).
 */
typedef long long int64_t;
#define memcpy __builtin_memcpy

#define LANES 8

typedef double vd __attribute__((vector_size(LANES * 8)));
typedef int64_t vl __attribute__((vector_size(LANES * 8)));
typedef signed char vc __attribute__((vector_size(LANES)));
typedef float vf __attribute__((vector_size(2 * LANES * 4)));
typedef short vs __attribute__((vector_size(2 * LANES * 2)));
typedef float vf8 __attribute__((vector_size(LANES * 4)));
/* Rows of a tile: a group of two lanes' rows, one tile read front to back, so the pool
 * is read as one stream (a transposed copy's K streams are not followed by the
 * hardware's prefetcher once the copy has left the cache). */
#define TILE (2 * LANES)

/* GCC's own AVX-512 conversions: it lowers the generic ones in 256-bit halves, with
 * shuffles to join them, which took more time than the products (stop 41). */
#if defined(__AVX512BW__) && defined(__GNUC__) && !defined(__clang__)
#define WIDE_CONVERSIONS 1
typedef int vi __attribute__((vector_size(2 * LANES * 4)));
#endif

/* A tile's 16 values of one feature, as floats (exact: |q| < 2^24). */
static inline vf loadq(const short *p) {
    vs v;
    memcpy(&v, p, sizeof v);
#ifdef WIDE_CONVERSIONS
    return __builtin_convertvector(
        (vi)__builtin_ia32_pmovsxwd512_mask(v, (vi){0}, (unsigned short)0xFFFF), vf);
#else
    return __builtin_convertvector(v, vf);
#endif
}

/* Eight floats as doubles (exact). */
static inline vd widen(vf8 v) {
#ifdef WIDE_CONVERSIONS
    return __builtin_ia32_cvtps2pd512_mask(v, (vd){0}, (unsigned char)0xFF, 4);
#else
    return __builtin_convertvector(v, vd);
#endif
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

/* Keys -|d| of rows i..i+LANES-1 (-inf where skipped) written; returns the lanes whose
 * key may be near the top (at least FLOOR, or NaN, and not skipped). */
static inline vl key_group(vd d, const unsigned char *restrict skip, double *restrict keys,
                           int64_t i, double floor) {
    const double neg_inf = -__builtin_inf();
    vd k = (vd)((vl)d | ((vl){0} + (int64_t)(1ULL << 63))); /* -|d| */
    if (skip) {
        vc bytes;
        memcpy(&bytes, skip + i, sizeof bytes);
        const vl s = __builtin_convertvector(bytes != 0, vl); /* 0 or -1 */
        k = (vd)(((vl)k & ~s) | ((vl)((vd){0} + neg_inf) & s));
    }
    memcpy(keys + i, &k, sizeof k);
    return ~(k < floor) & (k != neg_inf);
}

/* Whether any lane is set: an OR over the lanes, by halves. */
static inline int any_lane(vl v) {
    v |= __builtin_shuffle(v, (vl){4, 5, 6, 7, 0, 1, 2, 3});
    v |= __builtin_shuffle(v, (vl){2, 3, 0, 1, 6, 7, 4, 5});
    v |= __builtin_shuffle(v, (vl){1, 0, 3, 2, 5, 4, 7, 6});
    return v[0] != 0;
}

/* Rows i..i+m-1, keyed already, gathered where they may be near the top. Returns 0, or
 * -2 as row_keys_t. */
static int gather_keyed(gathered_t *g, const double *keys, int64_t i, int64_t m) {
    const double neg_inf = -__builtin_inf();
    for (int64_t r = i; r < i + m; r++)
        if (!(keys[r] < g->floor) && keys[r] != neg_inf && push(g, keys[r], r) != 0) return -2;
    return 0;
}

/* A tile's decisions, float32 sums of its K products, as two groups of LANES. */
static inline void tile_sums(const short *tile, int64_t K, const float *W, double C, vd out[2]) {
    /* Two sums, of even and odd features: one chain of K dependent additions kept
     * the adder waiting (any order is within the bound). */
    vf acc = (vf){0}, odd = (vf){0};
    int64_t k = 0;
    for (; k + 1 < K; k += 2) {
        acc += loadq(tile + TILE * k) * W[k];
        odd += loadq(tile + TILE * (k + 1)) * W[k + 1];
    }
    if (k < K) acc += loadq(tile + TILE * k) * W[k];
    acc += odd;
    vf8 half[2];
    memcpy(half, &acc, sizeof acc);
    for (int h = 0; h < 2; h++) out[h] = widen(half[h]) + C;
}

/* Rows of a block: the lanes that may reach the top are looked for once a block. */
#define BLOCK (4 * TILE)

/* Returns how many rows were gathered; -1 for arguments outside what the kernel
 * takes, -2 where more rows are within MARGIN of the TOP-th largest key than CAP
 * leaves room for (ties by the thousand). */
int64_t row_keys_t(const short *TILES, int64_t n, int64_t K, const float *W, double C,
                   const unsigned char *skip, double *keys, int64_t top, double margin,
                   double *buf, int64_t *rows, double *scratch, int64_t cap)
{
    if (K < 0 || n < 0 || top < 1 || cap < top + 4 * LANES || !(margin >= 0.0)) return -1;
    gathered_t g = {buf, rows, scratch, 0, cap, top, margin, -__builtin_inf()};
    const double neg_inf = -__builtin_inf();
    int64_t i = 0;
    for (; i + TILE <= n;) {
        const int64_t m = i + BLOCK <= n ? BLOCK : TILE;
        vl reach = (vl){0};
        for (int64_t t = i; t < i + m; t += TILE) {
            vd d[2];
            tile_sums(TILES + t * K, K, W, C, d);
            /* Most tiles hold no skipped row: their keys are written unmasked. */
            const unsigned char *tile_skip = skip;
            if (skip) {
                int64_t bytes[2];
                memcpy(bytes, skip + t, sizeof bytes);
                if (!(bytes[0] | bytes[1])) tile_skip = 0;
            }
            for (int h = 0; h < 2; h++)
                reach |= key_group(d[h], tile_skip, keys, t + LANES * h, g.floor);
        }
        if (any_lane(reach) && gather_keyed(&g, keys, i, m) != 0) return -2;
        i += m;
    }
    for (; i < n; i++) { /* the last rows, one by one */
        float d = 0.0f;
        const short *tile = TILES + (i / TILE) * TILE * K;
        for (int64_t k = 0; k < K; k++) d += (float)tile[TILE * k + i % TILE] * W[k];
        keys[i] = (skip && skip[i]) ? neg_inf : -__builtin_fabs((double)d + C);
        if (gather_keyed(&g, keys, i, 1) != 0) return -2;
    }
    /* Rows gathered before the floor rose: dropped, so that the caller reads few (no
     * room is needed after it). */
    (void)compact(&g);
    return g.count;
}
