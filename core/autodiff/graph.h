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
};

struct fg_graph {
    fg_arena arena;
    fg_tape_entry *tape; /* grows to the longest step, then is reused */
    size_t n_tape, cap_tape;
    int training;        /* 0: record nothing, no dropout */
    uint64_t seed;
    uint64_t op_counter; /* distinguishes dropout masks within a step */
    fg_status status;
    fg_error error;
};

fg_status fg_graph_create(fg_graph **out, fg_error *err);
void fg_graph_destroy(fg_graph *g);
void fg_graph_reset(fg_graph *g);
fg_status fg_graph_get_status(const fg_graph *g, fg_error *err);
/* Inference key/value cache (see graph_kv_cache in fg_host_api.h). */
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

#endif
