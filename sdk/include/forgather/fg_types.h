/* Opaque handles, element types and object kinds shared by host and plugins. */
#ifndef FORGATHER_FG_TYPES_H
#define FORGATHER_FG_TYPES_H

#include "fg_abi.h"

FG_BEGIN_DECLS

typedef struct fg_codegen fg_codegen; /* a standalone C program being written (ABI 1.3) */
typedef struct fg_tensor fg_tensor;   /* n-d array; activations live in a graph's arena */
typedef struct fg_graph fg_graph;     /* one forward/backward: the tape and its arena */
typedef struct fg_scope fg_scope;     /* where parameters are created: a dotted name prefix */
typedef struct fg_params fg_params;   /* validated configuration values of one factory call */
typedef struct fg_partial fg_partial; /* a factory bound to validated parameters */
typedef struct fg_run fg_run;         /* the run: directory, seed, threads, logs */
typedef struct fg_state fg_state;     /* ABI 1.1: named arrays being saved to or loaded from a checkpoint */
typedef struct fg_comm fg_comm;       /* a communicator between ranks (MPI, NCCL): slots come in ABI 1.x */

/* Element types. Plain int32 values, never an enum-typed field (enum size varies). */
#define FG_DTYPE_F32 0
#define FG_DTYPE_BF16 1
#define FG_DTYPE_I32 2
#define FG_DTYPE_F64 3
#define FG_DTYPE_I64 4 /* ABI 1.1: counters and seeds in saved state */

#define FG_MAX_DIMS 6

/* Object kinds. A factory declares one; a config slot requires one. */
#define FG_KIND_MODEL 1        /* fg_model_vtbl */
#define FG_KIND_BLOCK 2        /* fg_layer_vtbl: one transformer block */
#define FG_KIND_ATTENTION 3    /* fg_layer_vtbl */
#define FG_KIND_FEEDFORWARD 4  /* fg_layer_vtbl */
#define FG_KIND_NORM 5         /* fg_layer_vtbl */
#define FG_KIND_OPTIMIZER 6    /* fg_optimizer_vtbl */
#define FG_KIND_LR_SCHEDULE 7  /* fg_lr_schedule_vtbl */
#define FG_KIND_TRAINER 8      /* fg_trainer_vtbl */
#define FG_KIND_TOKENIZER 9    /* fg_tokenizer_vtbl */
#define FG_KIND_DATASET 10     /* fg_dataset_vtbl */
#define FG_KIND_CALLBACK 11    /* fg_callback_vtbl (ABI 1.2) */
#define FG_KIND_PIPE_SCHEDULE 12 /* reserved for pipeline schedules */
#define FG_KIND_POSITIONAL 13  /* fg_layer_vtbl: positional encoding */
#define FG_KIND_EMBEDDING 14   /* fg_layer_vtbl */
#define FG_KIND_COUNT 15

/* Every object a factory returns starts with a pointer to its vtable, and every vtable
 * starts with this header, so the host can check and destroy any object. */
typedef struct fg_vtbl_header {
    uint32_t struct_size;
    int32_t kind;
    void (*destroy)(void *self);
} fg_vtbl_header;

typedef struct fg_object {
    const fg_vtbl_header *vt;
} fg_object;

FG_END_DECLS

#endif
