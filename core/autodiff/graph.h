/* A graph is one forward pass recorded on a tape, plus its backward. Activations and
 * saved buffers come from the graph's arena, which reset() reuses for the next step.
 *
 * Errors are sticky: the first failing op records its error and returns NULL; every
 * later op given a NULL input returns NULL too. The caller checks once at the end. */
#ifndef FG_CORE_GRAPH_H
#define FG_CORE_GRAPH_H

#include "memory/arena.h"
#include "tensor/tensor.h"

#include <forgather/fg_host_api.h>

typedef struct fg_tape_entry fg_tape_entry;

/* Computes input gradients of one recorded op. Bit i of `which` asks for in[i]'s. */
typedef void (*fg_backward_fn)(fg_graph *g, const fg_tape_entry *e, unsigned which);

#define FG_TAPE_MAX_INPUTS 4

struct fg_tape_entry {
    fg_backward_fn backward;
    fg_tensor *out;
    fg_tensor *in[FG_TAPE_MAX_INPUTS];
    int n_in;
    float *saved[3];  /* buffers the forward kept for backward (arena) */
    double scalar;    /* op attribute (eps, scale, p) */
    int64_t attr[3];  /* op attributes (heads, flags, counts) */
    const void *state; /* an op's own record (arena) when the fields above do not fit it */
};

/* Inference key/value cache: one slot per attention op of a forward (the n-th op of
 * every forward uses slot n), each holding the keys and values of all positions so
 * far. Memory comes from fg_alloc, not the arena, since it outlives graph_reset. */
typedef struct fg_kv_slot {
    float *k, *v;         /* [batch][capacity][width] each; NULL until first used */
    int64_t batch, width; /* fixed by the forward that first fills the slot */
    int64_t len;          /* positions written */
} fg_kv_slot;

typedef struct fg_kv_cache {
    int64_t capacity;
    int64_t past;      /* positions before the current forward (graph_position) */
    int64_t step;      /* positions the current forward appends (0 until its first op) */
    int64_t n_used;    /* slots the current forward has used */
    int64_t n_slots;   /* slots allocated */
    fg_kv_slot *slots;
} fg_kv_cache;

struct fg_graph {
    fg_arena arena;
    fg_tape_entry *tape; /* grows to the longest step, then is reused */
    size_t n_tape, cap_tape;
    int training;        /* 0: record nothing, no dropout */
    uint64_t seed;
    uint64_t op_counter; /* distinguishes dropout masks within a step */
    fg_kv_cache *kv;     /* NULL: no KV cache */
    fg_status status;
    fg_error error;
};

fg_status fg_graph_create(fg_graph **out, fg_error *err);
void fg_graph_destroy(fg_graph *g);
void fg_graph_reset(fg_graph *g);
fg_status fg_graph_get_status(const fg_graph *g, fg_error *err);
/* Inference key/value cache (see graph_kv_cache in fg_host_api.h): capacity > 0 starts
 * an empty cache (refused while training), 0 drops it. graph_reset moves the position
 * past the last forward's tokens unless that forward failed. */
fg_status fg_graph_kv_cache(fg_graph *g, int64_t capacity, fg_error *err);
int64_t fg_graph_position(const fg_graph *g);
fg_status fg_graph_backward(fg_graph *g, fg_tensor *root, fg_tensor *root_grad, int32_t mode,
                            fg_error *err);

/* For op implementations. */
fg_tensor *fg_graph_fail(fg_graph *g, fg_status code, const char *fmt, ...) FG_PRINTF(3, 4);
/* A new activation tensor (data uninitialised); NULL with the graph failed on OOM/bad shape. */
fg_tensor *fg_graph_tensor(fg_graph *g, int32_t dtype, int32_t ndim, const int64_t *shape);
float *fg_graph_buffer(fg_graph *g, int64_t count);   /* fp32 scratch from the arena */
/* The gradient buffer of t, zero-filled from the arena on first use (parameters keep theirs). */
float *fg_graph_grad(fg_graph *g, fg_tensor *t);
/* Records an op if any input needs a gradient and the graph is training; marks out.
 * Returns the entry to fill (saved buffers, attributes) or NULL when nothing is recorded. */
fg_tape_entry *fg_graph_record(fg_graph *g, fg_backward_fn backward, fg_tensor *out,
                               fg_tensor *const *inputs, int n_in);
/* For op_attention with a KV cache: appends T positions of keys and values (B sequences
 * of `width` floats per position; position t of sequence b at k + b*bs + t*ts) to the
 * next slot of this forward, after position graph_position(g), and returns the slot.
 * NULL with the graph failed when the capacity, the batch or the width do not fit. */
const fg_kv_slot *fg_graph_kv_append(fg_graph *g, const float *k, const float *v, int64_t B,
                                     int64_t T, int64_t width, int64_t bs, int64_t ts);

#endif
