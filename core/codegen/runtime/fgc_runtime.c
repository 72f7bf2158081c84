/* fgc_runtime.c: the Forgather C runtime (see fgc_runtime.h). Written for clarity first:
 * straight loops, float math where the training runtime uses float, double where it
 * uses double (positions, rotary angles, sampling). */
#include "fgc_runtime.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef FGC_BLAS
#include <cblas.h>
#endif
#if defined(FGC_BLAS) && defined(_OPENMP) && defined(__GNUC__)
/* OpenBLAS's, when the BLAS linked in is OpenBLAS under whatever name; else NULL (weak). */
extern void openblas_set_num_threads(int num_threads) __attribute__((weak));
#define FGC_OPENBLAS_THREADS
#endif

/* The loops that carry the work (the products, attention's heads) run on all cores when
 * compiled with -fopenmp; without it the pragma is left out, so -Wall (unknown pragmas)
 * stays quiet. Cheap loops stay serial: a parallel region costs more than they do. */
#ifdef _OPENMP
#define FGC_PARALLEL_FOR _Pragma("omp parallel for schedule(static)")
#else
#define FGC_PARALLEL_FOR
#endif

/* ---- memory --------------------------------------------------------------------- */

float *fgc_alloc(long n) {
    float *p = calloc(n > 0 ? (size_t)n : 1, sizeof *p);
    if (p == NULL) {
        fprintf(stderr, "fgc: out of memory for %ld floats\n", n);
        exit(1);
    }
    return p;
}

void fgc_free(float *p) { free(p); }

/* ---- layers ---------------------------------------------------------------------- */

void fgc_embedding(float *y, const int32_t *ids, const float *table, int T, int C) {
    for (int t = 0; t < T; t++) memcpy(y + (long)t * C, table + (long)ids[t] * C, (size_t)C * sizeof *y);
}

void fgc_linear(float *y, const float *x, const float *w, const float *b, int T, int in, int out) {
#ifdef FGC_BLAS
#ifdef FGC_OPENBLAS_THREADS
    /* OpenBLAS's threads and OpenMP's both spin while they wait for work: together they
     * take turns on the cores, several times slower than either. With OpenMP on,
     * OpenBLAS keeps to the calling thread. */
    static int one_thread = 0;
    if (!one_thread && openblas_set_num_threads != NULL) openblas_set_num_threads(1);
    one_thread = 1;
#endif
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, out, in, 1.0f, x, in, w, in, 0.0f, y, out);
    if (b != NULL)
        for (int t = 0; t < T; t++)
            for (int o = 0; o < out; o++) y[(long)t * out + o] += b[o];
#else
    FGC_PARALLEL_FOR /* over outputs: there are many even when T is 1 */
    for (int o = 0; o < out; o++) {
        const float *wr = w + (long)o * in;
        for (int t = 0; t < T; t++) {
            const float *xr = x + (long)t * in;
            float s = 0.0f;
            for (int i = 0; i < in; i++) s += xr[i] * wr[i];
            y[(long)t * out + o] = b != NULL ? s + b[o] : s;
        }
    }
#endif
}

void fgc_add(float *y, const float *a, const float *b, long n) {
    for (long i = 0; i < n; i++) y[i] = a[i] + b[i];
}

void fgc_mul(float *y, const float *a, const float *b, long n) {
    for (long i = 0; i < n; i++) y[i] = a[i] * b[i];
}

void fgc_scale(float *y, const float *x, float s, long n) {
    for (long i = 0; i < n; i++) y[i] = x[i] * s;
}

void fgc_copy(float *y, const float *x, long n) {
    if (y != x) memmove(y, x, (size_t)n * sizeof *y);
}

void fgc_layernorm(float *y, const float *x, const float *w, const float *b, int T, int C, float eps) {
    for (int t = 0; t < T; t++) {
        const float *xr = x + (long)t * C;
        float *yr = y + (long)t * C;
        float mean = 0.0f, var = 0.0f;
        for (int i = 0; i < C; i++) mean += xr[i];
        mean /= (float)C;
        for (int i = 0; i < C; i++) var += (xr[i] - mean) * (xr[i] - mean);
        var /= (float)C; /* biased, as PyTorch's LayerNorm */
        const float s = 1.0f / sqrtf(var + eps);
        for (int i = 0; i < C; i++) yr[i] = (xr[i] - mean) * s * w[i] + (b != NULL ? b[i] : 0.0f);
    }
}

void fgc_rmsnorm(float *y, const float *x, const float *w, int T, int C, float eps) {
    for (int t = 0; t < T; t++) {
        const float *xr = x + (long)t * C;
        float *yr = y + (long)t * C;
        float ms = 0.0f;
        for (int i = 0; i < C; i++) ms += xr[i] * xr[i];
        const float s = 1.0f / sqrtf(ms / (float)C + eps);
        for (int i = 0; i < C; i++) yr[i] = xr[i] * s * w[i];
    }
}

/* ---- activations ----------------------------------------------------------------- */

static float sigmoid(float v) { return 1.0f / (1.0f + expf(-v)); }

void fgc_gelu(float *y, const float *x, long n) {
    const float k0 = 0.7978845608028654f; /* sqrt(2/pi) */
    for (long i = 0; i < n; i++) {
        const float v = x[i], u = k0 * (v + 0.044715f * v * v * v);
        y[i] = v * sigmoid(2.0f * u); /* 0.5 (1 + tanh(u)) = sigmoid(2u), without cancellation */
    }
}

void fgc_relu(float *y, const float *x, long n) {
    for (long i = 0; i < n; i++) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

void fgc_silu(float *y, const float *x, long n) {
    for (long i = 0; i < n; i++) y[i] = x[i] * sigmoid(x[i]);
}

void fgc_swish(float *y, const float *x, const float *beta, int T, int W) {
    for (long t = 0; t < T; t++)
        for (int c = 0; c < W; c++) {
            const float v = x[t * W + c];
            y[t * W + c] = v * sigmoid(beta[c] * v);
        }
}

/* ---- positions ------------------------------------------------------------------- */

void fgc_add_sinusoidal(float *x, int T, int C) {
    for (int c = 0; c < C; c += 2) {
        const double inv_freq = pow(10000.0, -(double)c / (double)C); /* c = 2i */
        for (int t = 0; t < T; t++) {
            const double angle = (double)t * inv_freq;
            x[(long)t * C + c] += (float)sin(angle);
            if (c + 1 < C) x[(long)t * C + c + 1] += (float)cos(angle);
        }
    }
}

void fgc_add_rows(float *x, const float *table, int T, int C) { fgc_add(x, x, table, (long)T * C); }

void fgc_rope(float *x, int T, int W, int n_heads, int head_dim, float base) {
    const int half = head_dim / 2;
    for (int m = 0; m < half; m++) {
        /* in double: t * freq loses digits in float once t reaches thousands */
        const double freq = pow((double)base, -2.0 * m / (double)head_dim);
        for (int t = 0; t < T; t++) {
            const float c = (float)cos(t * freq), s = (float)sin(t * freq);
            for (int h = 0; h < n_heads; h++) {
                float *a = x + (long)t * W + (long)h * head_dim + m, *b = a + half;
                const float ra = *a * c - *b * s, rb = *b * c + *a * s;
                *a = ra;
                *b = rb;
            }
        }
    }
}

/* ---- attention ------------------------------------------------------------------- */

void fgc_alibi_slopes(float *slopes, int H) {
    int m = 1;
    while (m * 2 <= H) m *= 2; /* the largest power of two <= H */
    for (int k = 1; k <= m; k++) slopes[k - 1] = (float)exp2(-8.0 * k / m);
    for (int i = m; i < H; i++) /* then the odd terms of the series for 2m heads */
        slopes[i] = (float)exp2(-8.0 * (2 * (i - m) + 1) / (2.0 * m));
}

void fgc_attention(float *y, const float *qkv, int T, int H, int Hkv, int D, int causal, int alibi,
                   float scale) {
    const long W = (long)(H + 2 * Hkv) * D;
    const int group = H / Hkv;
    if (scale == 0.0f) scale = (float)(1.0 / sqrt((double)D));
    float *slopes = fgc_alloc(H);
    if (alibi) fgc_alibi_slopes(slopes, H);
    FGC_PARALLEL_FOR
    for (int h = 0; h < H; h++) {
        const float *q = qkv + (long)h * D;
        const float *k = qkv + (long)(H + h / group) * D;
        const float *v = qkv + (long)(H + Hkv + h / group) * D;
        float *p = fgc_alloc(T); /* one row of scores, then probabilities */
        for (int i = 0; i < T; i++) {
            const int n = causal ? i + 1 : T; /* the keys row i sees */
            float mx = -INFINITY, sum = 0.0f;
            for (int j = 0; j < n; j++) {
                float s = 0.0f;
                for (int d = 0; d < D; d++) s += q[i * W + d] * k[j * W + d];
                p[j] = s * scale - slopes[h] * fabsf((float)(i - j));
                if (p[j] > mx) mx = p[j];
            }
            for (int j = 0; j < n; j++) {
                p[j] = expf(p[j] - mx);
                sum += p[j];
            }
            float *out = y + (long)i * H * D + (long)h * D;
            for (int d = 0; d < D; d++) out[d] = 0.0f;
            for (int j = 0; j < n; j++)
                for (int d = 0; d < D; d++) out[d] += p[j] * v[j * W + d];
            for (int d = 0; d < D; d++) out[d] /= sum;
        }
        fgc_free(p);
    }
    fgc_free(slopes);
}

/* ---- sampling -------------------------------------------------------------------- */

typedef struct candidate {
    double weight; /* exp((logit - max) / temperature) */
    int id;
} candidate;

/* Most likely first; equal weights by id, so top_k 1 picks what greedy picks. */
static int by_weight(const void *a, const void *b) {
    const candidate *x = a, *y = b;
    if (x->weight != y->weight) return x->weight > y->weight ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

/* splitmix64, as fgrun's host API: a uniform double in [0, 1) from 53 bits. */
static double uniform(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return (double)(z >> 11) * (1.0 / 9007199254740992.0);
}

int fgc_sample(const float *logits, int V, float temperature, int top_k, float top_p, uint64_t *rng) {
    int best = 0;
    for (int i = 1; i < V; i++)
        if (logits[i] > logits[best]) best = i;
    const double u = uniform(rng); /* drawn even when greedy, so seeds stay in step */
    if (temperature <= 0.0f) return best;
    candidate *c = malloc((size_t)V * sizeof *c);
    if (c == NULL) {
        fprintf(stderr, "fgc: out of memory for %d candidates\n", V);
        exit(1);
    }
    for (int i = 0; i < V; i++) c[i] = (candidate){exp(((double)logits[i] - logits[best]) / temperature), i};
    int kept = V;
    const int cut_k = top_k > 0 && top_k < V;
    if (cut_k || top_p < 1.0f) {
        qsort(c, (size_t)V, sizeof *c, by_weight);
        if (cut_k) kept = top_k;
    }
    double mass = 0.0;
    for (int j = 0; j < kept; j++) mass += c[j].weight;
    if (top_p < 1.0f) {
        /* the relative slack keeps rounding from adding a token when the mass is p exactly */
        const double target = top_p * mass * (1.0 - 1e-12);
        double cum = 0.0;
        for (int j = 0; j < kept; j++) {
            cum += c[j].weight;
            if (cum >= target) {
                kept = j + 1;
                mass = cum;
                break;
            }
        }
    }
    const double target = u * mass;
    double acc = 0.0;
    int id = c[kept - 1].id; /* only kept through rounding at the very end */
    for (int j = 0; j < kept; j++) {
        acc += c[j].weight;
        if (target < acc) {
            id = c[j].id;
            break;
        }
    }
    free(c);
    return id;
}

/* ---- weights: safetensors -------------------------------------------------------- *
 * The file: an 8-byte little-endian header length, a JSON header mapping each tensor
 * name to {"dtype", "shape", "data_offsets": [begin, end]} (and "__metadata__"), then
 * the data, offsets counted from its start. The JSON is read by a small scanner that
 * knows just enough: objects, arrays, strings, numbers and literals. */

struct fgc_tensor_file {
    FILE *f;
    char *path;
    char *header; /* NUL-terminated JSON */
    long data_start;
};

typedef struct tensor_entry {
    char dtype[16];
    int ndim;
    long shape[8];
    long begin, end;
} tensor_entry;

static const char *skip_ws(const char *p) {
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
    return p;
}

/* A JSON string at p (after skip_ws) into out (truncated to cap); returns the position
 * after it, NULL when malformed. Names are plain ASCII in practice; escapes other than
 * \" and \\ are kept as the character after the backslash. */
static const char *read_string(const char *p, char *out, size_t cap) {
    if (*p != '"') return NULL;
    size_t n = 0;
    for (p++; *p != '"'; p++) {
        if (*p == '\0') return NULL;
        if (*p == '\\' && *++p == '\0') return NULL;
        if (n + 1 < cap) out[n++] = *p;
    }
    if (cap > 0) out[n] = '\0';
    return p + 1;
}

/* Skips one JSON value; NULL when malformed. */
static const char *skip_value(const char *p, int depth) {
    p = skip_ws(p);
    if (depth > 64) return NULL;
    if (*p == '"') {
        char ignored[1];
        return read_string(p, ignored, 0);
    }
    if (*p == '{' || *p == '[') {
        const char close = *p == '{' ? '}' : ']';
        p = skip_ws(p + 1);
        if (*p == close) return p + 1;
        for (;;) {
            if (close == '}') {
                char ignored[1];
                if ((p = read_string(skip_ws(p), ignored, 0)) == NULL) return NULL;
                p = skip_ws(p);
                if (*p++ != ':') return NULL;
            }
            if ((p = skip_value(p, depth + 1)) == NULL) return NULL;
            p = skip_ws(p);
            if (*p == close) return p + 1;
            if (*p++ != ',') return NULL;
        }
    }
    const char *start = p; /* a number or a literal */
    while (*p != '\0' && strchr(",}] \t\r\n", *p) == NULL) p++;
    return p > start ? p : NULL;
}

/* An array of at most `max` integers; returns the position after it, NULL when it is
 * not one. */
static const char *read_ints(const char *p, long *out, int max, int *n) {
    p = skip_ws(p);
    if (*p++ != '[') return NULL;
    *n = 0;
    p = skip_ws(p);
    if (*p == ']') return p + 1;
    for (;;) {
        char *end;
        const long v = strtol(p, &end, 10);
        if (end == p || *n == max) return NULL;
        out[(*n)++] = v;
        p = skip_ws(end);
        if (*p == ']') return p + 1;
        if (*p++ != ',') return NULL;
        p = skip_ws(p);
    }
}

/* The entry of tensor `name`: 1 when found, 0 when absent, -1 when the header is not
 * valid JSON of the expected form. */
static int find_entry(const char *header, const char *name, tensor_entry *e) {
    char key[512];
    const char *p = skip_ws(header);
    if (*p++ != '{') return -1;
    for (p = skip_ws(p); *p != '}';) {
        if ((p = read_string(p, key, sizeof key)) == NULL) return -1;
        p = skip_ws(p);
        if (*p++ != ':') return -1;
        p = skip_ws(p);
        if (strcmp(key, name) != 0) {
            if ((p = skip_value(p, 0)) == NULL) return -1;
        } else {
            if (*p++ != '{') return -1;
            memset(e, 0, sizeof *e);
            e->ndim = -1;
            int n_offsets = 0;
            for (p = skip_ws(p); *p != '}';) {
                char field[32];
                long offsets[2];
                if ((p = read_string(p, field, sizeof field)) == NULL) return -1;
                p = skip_ws(p);
                if (*p++ != ':') return -1;
                if (strcmp(field, "dtype") == 0)
                    p = read_string(skip_ws(p), e->dtype, sizeof e->dtype);
                else if (strcmp(field, "shape") == 0)
                    p = read_ints(p, e->shape, 8, &e->ndim);
                else if (strcmp(field, "data_offsets") == 0 && (p = read_ints(p, offsets, 2, &n_offsets)) != NULL) {
                    e->begin = offsets[0];
                    e->end = offsets[1];
                } else
                    p = skip_value(p, 0);
                if (p == NULL) return -1;
                p = skip_ws(p);
                if (*p == ',') p = skip_ws(p + 1);
                else if (*p != '}') return -1;
            }
            return e->ndim >= 0 && n_offsets == 2 ? 1 : -1;
        }
        p = skip_ws(p);
        if (*p == ',') p = skip_ws(p + 1);
        else if (*p != '}') return -1;
    }
    return 0;
}

fgc_tensor_file *fgc_tensors_open(const char *path) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "fgc: %s: %s\n", path, strerror(errno));
        return NULL;
    }
    unsigned char len8[8];
    unsigned long long len = 0;
    const int sized = fread(len8, 1, 8, f) == 8;
    for (int i = 7; sized && i >= 0; i--) len = len << 8 | len8[i];
    char *header = sized && len > 1 && len < (1ull << 30) ? malloc((size_t)len + 1) : NULL;
    fgc_tensor_file *tf = header != NULL ? malloc(sizeof *tf) : NULL;
    char *copy = tf != NULL ? malloc(strlen(path) + 1) : NULL;
    if (copy == NULL || fread(header, 1, (size_t)len, f) != len || header[0] != '{') {
        fprintf(stderr, "fgc: %s: not a safetensors file (no JSON header)\n", path);
        fclose(f);
        free(header);
        free(tf);
        free(copy);
        return NULL;
    }
    header[len] = '\0';
    *tf = (fgc_tensor_file){f, strcpy(copy, path), header, (long)(8 + len)};
    return tf;
}

static int little_endian(void) {
    const uint16_t one = 1;
    return *(const unsigned char *)&one == 1;
}

static void print_shape(const long *shape, int ndim) {
    fputc('[', stderr);
    for (int i = 0; i < ndim; i++) fprintf(stderr, "%s%ld", i ? ", " : "", shape[i]);
    fputc(']', stderr);
}

float *fgc_tensors_read(fgc_tensor_file *tf, const char *name, int ndim, const long *shape) {
    tensor_entry e;
    const int found = find_entry(tf->header, name, &e);
    if (found <= 0) {
        fprintf(stderr, found < 0 ? "fgc: %s: the JSON header is malformed (reading '%s')\n"
                                  : "fgc: %s: no tensor '%s'\n",
                tf->path, name);
        return NULL;
    }
    if (strcmp(e.dtype, "F32") != 0) {
        fprintf(stderr, "fgc: %s: tensor '%s' has dtype %s, expected F32\n", tf->path, name, e.dtype);
        return NULL;
    }
    int same = e.ndim == ndim;
    long numel = 1;
    for (int i = 0; i < ndim; i++) {
        same = same && e.shape[i] == shape[i];
        numel *= shape[i];
    }
    if (!same) {
        fprintf(stderr, "fgc: %s: tensor '%s' has shape ", tf->path, name);
        print_shape(e.shape, e.ndim);
        fprintf(stderr, ", expected ");
        print_shape(shape, ndim);
        fputc('\n', stderr);
        return NULL;
    }
    if (e.begin < 0 || e.end - e.begin != numel * 4) {
        fprintf(stderr, "fgc: %s: tensor '%s' has data offsets [%ld, %ld] for %ld floats\n", tf->path, name,
                e.begin, e.end, numel);
        return NULL;
    }
    float *data = fgc_alloc(numel);
    if (fseek(tf->f, tf->data_start + e.begin, SEEK_SET) != 0 ||
        fread(data, sizeof *data, (size_t)numel, tf->f) != (size_t)numel) {
        fprintf(stderr, "fgc: %s: tensor '%s' is cut short\n", tf->path, name);
        fgc_free(data);
        return NULL;
    }
    if (!little_endian())
        for (long i = 0; i < numel; i++) {
            unsigned char *b = (unsigned char *)&data[i], t0 = b[0], t1 = b[1];
            b[0] = b[3];
            b[1] = b[2];
            b[2] = t1;
            b[3] = t0;
        }
    return data;
}

void fgc_tensors_close(fgc_tensor_file *tf) {
    if (tf == NULL) return;
    fclose(tf->f);
    free(tf->header);
    free(tf->path);
    free(tf);
}
