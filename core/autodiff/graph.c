#include "autodiff/graph.h"

#include "memory/alloc.h"
#include "util/error.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

fg_status fg_graph_create(fg_graph **out, fg_error *err) {
    fg_graph *g = fg_alloc_zeroed(sizeof *g);
    if (g == NULL) return fg_error_set(err, FG_E_NOMEM, "graph: out of memory");
    fg_arena_init(&g->arena);
    g->training = 1;
    *out = g;
    return FG_OK;
}

static void kv_cache_free(fg_kv_cache *kv) {
    if (kv == NULL) return;
    for (int64_t i = 0; i < kv->n_slots; i++) fg_free(kv->slots[i].k); /* v shares the block */
    fg_free(kv->slots);
    fg_free(kv);
}

void fg_graph_destroy(fg_graph *g) {
    if (g == NULL) return;
    kv_cache_free(g->kv);
    fg_arena_free(&g->arena);
    fg_free(g->tape);
    fg_free(g);
}

void fg_graph_reset(fg_graph *g) {
    if (g->kv != NULL) { /* commit the forward's positions, unless it failed */
        if (g->status == FG_OK) g->kv->past += g->kv->step;
        g->kv->step = 0;
        g->kv->n_used = 0;
    }
    fg_arena_reset(&g->arena);
    g->n_tape = 0;
    g->op_counter = 0;
    g->status = FG_OK;
    g->error.code = FG_OK;
    g->error.msg[0] = '\0';
}

fg_status fg_graph_get_status(const fg_graph *g, fg_error *err) {
    if (g->status != FG_OK && err != NULL) *err = g->error;
    return g->status;
}

fg_tensor *fg_graph_fail(fg_graph *g, fg_status code, const char *fmt, ...) {
    if (g->status != FG_OK) return NULL; /* keep the first error: it is the cause */
    g->status = code;
    g->error.code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g->error.msg, sizeof g->error.msg, fmt, ap);
    va_end(ap);
    return NULL;
}

fg_tensor *fg_graph_tensor(fg_graph *g, int32_t dtype, int32_t ndim, const int64_t *shape) {
    size_t esize = fg_dtype_size(dtype);
    if (esize == 0) return fg_graph_fail(g, FG_E_INVALID_ARG, "tensor: unknown dtype %d", dtype);
    fg_tensor *t = fg_arena_alloc(&g->arena, sizeof *t);
    if (t == NULL) return fg_graph_fail(g, FG_E_NOMEM, "tensor: out of memory");
    memset(t, 0, sizeof *t);
    t->dtype = dtype;
    t->name = "";
    if (fg_tensor_set_shape(t, ndim, shape) != 0)
        return fg_graph_fail(g, FG_E_INVALID_ARG, "tensor: bad shape (rank %d)", ndim);
    t->data = fg_arena_alloc(&g->arena, (size_t)t->numel * esize);
    if (t->data == NULL)
        return fg_graph_fail(g, FG_E_NOMEM, "tensor: out of memory for %lld elements",
                             (long long)t->numel);
    return t;
}

float *fg_graph_buffer(fg_graph *g, int64_t count) {
    float *p = fg_arena_alloc(&g->arena, (size_t)count * sizeof(float));
    if (p == NULL) fg_graph_fail(g, FG_E_NOMEM, "graph: out of memory for a %lld-float buffer",
                                 (long long)count);
    return p;
}

float *fg_graph_grad(fg_graph *g, fg_tensor *t) {
    if (t->grad == NULL) {
        t->grad = fg_arena_alloc_zeroed(&g->arena, (size_t)t->numel * sizeof(float));
        if (t->grad == NULL) fg_graph_fail(g, FG_E_NOMEM, "backward: out of memory");
    }
    return t->grad;
}

fg_tape_entry *fg_graph_record(fg_graph *g, fg_backward_fn backward, fg_tensor *out,
                               fg_tensor *const *inputs, int n_in) {
    if (!g->training) return NULL;
    int needed = 0;
    for (int i = 0; i < n_in; i++)
        if (inputs[i] != NULL && (inputs[i]->flags & FG_T_NEEDS_GRAD)) needed = 1;
    if (!needed) return NULL;
    if (g->n_tape == g->cap_tape) {
        size_t cap = g->cap_tape ? g->cap_tape * 2 : 256;
        fg_tape_entry *tape = fg_alloc(cap * sizeof *tape);
        if (tape == NULL) {
            fg_graph_fail(g, FG_E_NOMEM, "tape: out of memory");
            return NULL;
        }
        if (g->n_tape) memcpy(tape, g->tape, g->n_tape * sizeof *tape);
        fg_free(g->tape);
        g->tape = tape;
        g->cap_tape = cap;
    }
    fg_tape_entry *e = &g->tape[g->n_tape++];
    memset(e, 0, sizeof *e);
    e->backward = backward;
    e->out = out;
    e->n_in = n_in;
    for (int i = 0; i < n_in; i++) e->in[i] = inputs[i];
    out->flags |= FG_T_NEEDS_GRAD;
    return e;
}

/* Which inputs of e get a gradient in this pass: those that need one, parameters in
 * the WEIGHT pass and everything else in the INPUT pass. */
static unsigned inputs_for_mode(const fg_tape_entry *e, int32_t mode) {
    unsigned which = 0;
    for (int i = 0; i < e->n_in; i++) {
        const fg_tensor *t = e->in[i];
        if (t == NULL || !(t->flags & FG_T_NEEDS_GRAD)) continue;
        int is_param = (t->flags & FG_T_PARAM) != 0;
        if ((is_param && (mode & FG_BACKWARD_WEIGHT)) || (!is_param && (mode & FG_BACKWARD_INPUT)))
            which |= 1u << i;
    }
    return which;
}

fg_status fg_graph_backward(fg_graph *g, fg_tensor *root, fg_tensor *root_grad, int32_t mode,
                            fg_error *err) {
    if (g->status != FG_OK) return fg_graph_get_status(g, err);
    if (root == NULL) return fg_error_set(err, FG_E_INVALID_ARG, "backward: no root tensor");
    if (mode < FG_BACKWARD_INPUT || mode > FG_BACKWARD_FULL)
        return fg_error_set(err, FG_E_INVALID_ARG, "backward: unknown mode %d", mode);
    if (!(root->flags & FG_T_NEEDS_GRAD))
        return fg_error_set(err, FG_E_INVALID_ARG,
                            "backward: the root does not depend on any parameter "
                            "(was the graph in training mode?)");
    /* The root's gradient is seeded by the pass that starts the backward. */
    if (mode & FG_BACKWARD_INPUT) {
        float *dr = fg_graph_grad(g, root);
        if (dr == NULL) return fg_graph_get_status(g, err);
        if (root_grad == NULL) {
            if (root->numel != 1)
                return fg_error_set(err, FG_E_INVALID_ARG,
                                    "backward: root has %lld elements; give its gradient",
                                    (long long)root->numel);
            dr[0] = 1.0f;
        } else {
            if (root_grad->numel != root->numel || root_grad->dtype != FG_DTYPE_F32)
                return fg_error_set(err, FG_E_INVALID_ARG,
                                    "backward: root gradient has %lld elements, root has %lld",
                                    (long long)root_grad->numel, (long long)root->numel);
            memcpy(dr, root_grad->data, (size_t)root->numel * sizeof(float));
        }
    }
    for (size_t k = g->n_tape; k-- > 0;) {
        const fg_tape_entry *e = &g->tape[k];
        if (e->out->grad == NULL) continue; /* no gradient reached this op */
        unsigned which = inputs_for_mode(e, mode);
        if (which == 0) continue;
        for (int i = 0; i < e->n_in; i++)
            if ((which & (1u << i)) && fg_graph_grad(g, e->in[i]) == NULL)
                return fg_graph_get_status(g, err);
        e->backward(g, e, which);
        if (g->status != FG_OK) return fg_graph_get_status(g, err);
    }
    return FG_OK;
}

fg_status fg_graph_kv_cache(fg_graph *g, int64_t capacity, fg_error *err) {
    if (capacity < 0)
        return fg_error_set(err, FG_E_RANGE, "graph: KV cache capacity %lld is negative",
                            (long long)capacity);
    if (capacity > 0 && g->training)
        return fg_error_set(err, FG_E_INVALID_ARG,
                            "graph: a KV cache is for inference; the graph is training "
                            "(graph_set_training(g, 0) first)");
    kv_cache_free(g->kv);
    g->kv = NULL;
    if (capacity == 0) return FG_OK;
    g->kv = fg_alloc_zeroed(sizeof *g->kv);
    if (g->kv == NULL) return fg_error_set(err, FG_E_NOMEM, "graph: out of memory for a KV cache");
    g->kv->capacity = capacity;
    return FG_OK;
}

int64_t fg_graph_position(const fg_graph *g) {
    return g->kv != NULL ? g->kv->past : 0;
}

/* The slot of the next attention op, grown and allocated on first use; NULL with the
 * graph failed when memory runs out. */
static fg_kv_slot *kv_next_slot(fg_graph *g, int64_t B, int64_t width) {
    fg_kv_cache *kv = g->kv;
    if (kv->n_used == kv->n_slots) {
        fg_kv_slot *slots = fg_alloc_zeroed((size_t)(kv->n_slots + 1) * sizeof *slots);
        if (slots == NULL) {
            fg_graph_fail(g, FG_E_NOMEM, "attention: out of memory for a KV cache slot");
            return NULL;
        }
        if (kv->n_slots) memcpy(slots, kv->slots, (size_t)kv->n_slots * sizeof *slots);
        fg_free(kv->slots);
        kv->slots = slots;
        kv->n_slots++;
    }
    fg_kv_slot *s = &kv->slots[kv->n_used];
    if (s->k == NULL) {
        const size_t max_floats = SIZE_MAX / 2 / sizeof(float);
        size_t floats = (size_t)B * (size_t)kv->capacity * (size_t)width;
        int too_big = B > 0 && width > 0 &&
                      (size_t)kv->capacity > max_floats / (size_t)B / (size_t)width;
        s->k = too_big ? NULL : fg_alloc(2 * floats * sizeof(float));
        if (s->k == NULL) {
            fg_graph_fail(g, FG_E_NOMEM,
                          "attention: out of memory for KV cache slot %lld (%lld positions of "
                          "batch %lld, width %lld)", (long long)kv->n_used,
                          (long long)kv->capacity, (long long)B, (long long)width);
            return NULL;
        }
        s->v = s->k + floats; /* one block: freeing k frees both */
        s->batch = B;
        s->width = width;
        s->len = 0;
    }
    return s;
}

const fg_kv_slot *fg_graph_kv_append(fg_graph *g, const float *k, const float *v, int64_t B,
                                     int64_t T, int64_t width, int64_t bs, int64_t ts) {
    fg_kv_cache *kv = g->kv;
    const long long n = (long long)kv->n_used;
    if (T > kv->capacity - kv->past) {
        fg_graph_fail(g, FG_E_RANGE,
                      "attention: the KV cache holds %lld positions (its capacity); %lld are "
                      "cached and this forward adds %lld", (long long)kv->capacity,
                      (long long)kv->past, (long long)T);
        return NULL;
    }
    if (kv->n_used > 0 && T != kv->step) {
        fg_graph_fail(g, FG_E_INVALID_ARG,
                      "attention: KV cache slot %lld gets %lld positions, but this forward gave "
                      "the slots before it %lld", n, (long long)T, (long long)kv->step);
        return NULL;
    }
    fg_kv_slot *s = kv_next_slot(g, B, width);
    if (s == NULL) return NULL;
    if (s->batch != B || s->width != width) {
        fg_graph_fail(g, FG_E_INVALID_ARG,
                      "attention: KV cache slot %lld holds batch %lld of width %lld; this "
                      "forward gives batch %lld of width %lld", n, (long long)s->batch,
                      (long long)s->width, (long long)B, (long long)width);
        return NULL;
    }
    if (s->len < kv->past) {
        fg_graph_fail(g, FG_E_INVALID_ARG,
                      "attention: KV cache slot %lld holds %lld positions, %lld expected (every "
                      "forward must run the same attention ops)", n, (long long)s->len,
                      (long long)kv->past);
        return NULL;
    }
    for (int64_t b = 0; b < B; b++)
        for (int64_t t = 0; t < T; t++) {
            size_t at = (size_t)((b * kv->capacity + kv->past + t) * width);
            memcpy(s->k + at, k + b * bs + t * ts, (size_t)width * sizeof(float));
            memcpy(s->v + at, v + b * bs + t * ts, (size_t)width * sizeof(float));
        }
    s->len = kv->past + T;
    kv->step = T;
    kv->n_used++;
    return s;
}
