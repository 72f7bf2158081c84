/* Runs a model plugin's forward pass on given weights and tokens, for tests that compare
 * it with an independent implementation (tests/py/test_torch_parity.py).
 *
 *   fg_model_probe CONFIG.yaml WEIGHTS.safetensors TOKENS.i32 B T OUT.f32
 *
 * CONFIG has a root entry `model: !singleton:NAME {...}`. WEIGHTS holds every parameter of
 * the model under its dotted name. TOKENS is B*T little-endian int32 ids; OUT receives the
 * logits [B, T, vocab] as float32, and the mean cross-entropy of predicting token t+1 from
 * position t is printed (the loss path of the forward, checked too). */
#include "autodiff/graph.h"
#include "config/objects.h"
#include "io/load_tensors.h"
#include "threads/threads.h"

#include <forgather/fg_components.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char *what, const char *msg) {
    fprintf(stderr, "fg_model_probe: %s: %s\n", what, msg);
    return 1;
}

static int read_exact(const char *path, void *buf, size_t bytes) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) return -1;
    size_t got = fread(buf, 1, bytes, f);
    fclose(f);
    return got == bytes ? 0 : -1;
}

int main(int argc, char **argv) {
    if (argc != 7) return fail("usage", "CONFIG.yaml WEIGHTS.safetensors TOKENS.i32 B T OUT.f32");
    const int64_t B = atoll(argv[4]), T = atoll(argv[5]);
    if (B < 1 || T < 2) return fail("shape", "need B >= 1 and T >= 2");
    fg_threads_init(1);
    fg_error err = {0};
    fg_registry registry;
    fg_config *cfg = NULL;
    fg_objects *objs = NULL;
    void *model = NULL;
    if (fg_registry_init(&registry, NULL, 0, &err) != FG_OK || fg_registry_load_all(&registry, &err) != FG_OK ||
        fg_config_load_file(argv[1], NULL, 0, &cfg, &err) != FG_OK ||
        fg_objects_create(&registry, cfg, &objs, &err) != FG_OK || fg_objects_validate(objs, &err) != FG_OK ||
        fg_objects_build(objs, "model", FG_KIND_MODEL, &model, &err) != FG_OK)
        return fail(argv[1], err.msg);
    const fg_model_vtbl *vt = *(const fg_model_vtbl *const *)model;
    uint64_t n_params = 0;
    fg_tensor *const *params = NULL;
    if (fg_scope_params(fg_objects_scope_of(model), &n_params, &params, &err) != FG_OK ||
        fg_load_tensors(argv[2], n_params, params, &err) != FG_OK)
        return fail(argv[2], err.msg);

    fg_graph *g = NULL;
    if (fg_graph_create(&g, &err) != FG_OK) return fail("graph", err.msg);
    g->training = 0;
    const int64_t shape[2] = {B, T};
    fg_tensor *tokens = fg_graph_tensor(g, FG_DTYPE_I32, 2, shape);
    fg_tensor *targets = fg_graph_tensor(g, FG_DTYPE_I32, 2, shape);
    if (tokens == NULL || targets == NULL) return fail("graph", "out of memory");
    int32_t *ids = tokens->data, *next = targets->data;
    if (read_exact(argv[3], ids, (size_t)(B * T) * sizeof(int32_t)) != 0)
        return fail(argv[3], "cannot read B*T int32 tokens");
    for (int64_t i = 0; i < B * T; i++) next[i] = (i % T == T - 1) ? -1 : ids[i + 1];
    fg_tensor *logits = NULL, *loss = NULL;
    if (vt->forward(model, g, tokens, targets, &logits, &loss, &err) != FG_OK)
        return fail("forward", err.msg);
    FILE *out = fopen(argv[6], "wb");
    if (out == NULL || fwrite(logits->data, sizeof(float), (size_t)logits->numel, out) != (size_t)logits->numel)
        return fail(argv[6], "cannot write the logits");
    fclose(out);
    printf("%.9g\n", (double)((float *)loss->data)[0]);
    fg_graph_destroy(g);
    fg_objects_free(objs);
    fg_config_free(cfg);
    fg_registry_free(&registry);
    return 0;
}
