/* The byte-level tokenizer: every byte is its own token (vocabulary 256). Lossless for
 * any input, needs no vocabulary file; the tokenizer of llm.c-style character models. */
#include <forgather/plugin.h>

#include <string.h>

typedef struct byte_tokenizer {
    const fg_tokenizer_vtbl *vt;
} byte_tokenizer;

static int64_t bt_vocab_size(const void *self) { return 256; }

static fg_status bt_encode(const void *self, const char *text, size_t len, int32_t *ids, size_t cap,
                           size_t *n_out, fg_error *err) {
    if (text == NULL && len > 0) {
        fg_api->error_set(err, FG_E_INVALID_ARG, "byte_tokenizer: encode given NULL text");
        return FG_E_INVALID_ARG;
    }
    const unsigned char *bytes = (const unsigned char *)text;
    const size_t n = ids == NULL ? 0 : (cap < len ? cap : len);
    for (size_t i = 0; i < n; i++)
        ids[i] = (int32_t)bytes[i];
    if (n_out != NULL) *n_out = len;
    return FG_OK;
}

static fg_status bt_decode(const void *self, const int32_t *ids, size_t n, char *text, size_t cap,
                           size_t *len_out, fg_error *err) {
    if (ids == NULL && n > 0) {
        fg_api->error_set(err, FG_E_INVALID_ARG, "byte_tokenizer: decode given NULL ids");
        return FG_E_INVALID_ARG;
    }
    /* Validate everything first so a bad id never leaves half-written text. */
    for (size_t i = 0; i < n; i++) {
        if (ids[i] < 0 || ids[i] > 255) {
            fg_api->error_set(err, FG_E_RANGE,
                              "byte_tokenizer: token id %d at position %zu is not a byte "
                              "(0..255)",
                              (int)ids[i], i);
            return FG_E_RANGE;
        }
    }
    if (text != NULL && cap > 0) {
        const size_t w = n < cap ? n : cap;
        for (size_t i = 0; i < w; i++)
            text[i] = (char)(unsigned char)ids[i];
        if (w < cap) text[w] = '\0';
    }
    if (len_out != NULL) *len_out = n;
    return FG_OK;
}

/* encode and decode as C: every byte is its id. As above, encode returns the number of
 * ids the whole text needs, writing at most cap, and an id that is not a byte cannot be
 * decoded (negative, as the generated program's contract has it). */
static fg_status bt_emit_code(const void *self, fg_codegen *cg, fg_error *err) {
    fg_api->code_printf(
        cg,
        "/* byte-level tokenizer: each byte of the text is one token (vocabulary 256) */\n"
        "int fgc_encode(const char *text, int32_t *ids, int cap) {\n"
        "    int n = 0;\n"
        "    for (const unsigned char *p = (const unsigned char *)text; *p != '\\0'; p++, n++)\n"
        "        if (n < cap) ids[n] = (int32_t)*p;\n"
        "    return n;\n"
        "}\n"
        "\n"
        "int fgc_decode(int32_t id, char *out, int cap) {\n"
        "    if (id < 0 || id > 255) return -1; /* not a byte */\n"
        "    if (cap >= 1) out[0] = (char)(unsigned char)id;\n"
        "    return 1;\n"
        "}\n");
    return FG_OK;
}

static void bt_destroy(void *self) { fg_api->free(self); }

static const fg_tokenizer_vtbl bt_vtbl = {
    .base = {sizeof(fg_tokenizer_vtbl), FG_KIND_TOKENIZER, bt_destroy},
    .vocab_size = bt_vocab_size,
    .encode = bt_encode,
    .decode = bt_decode,
    .emit_code = bt_emit_code,
};

static fg_status bt_create(const fg_params *params, const fg_create_args *args, void **out,
                           fg_error *err) {
    byte_tokenizer *t = fg_api->alloc(sizeof(byte_tokenizer));
    if (t == NULL) {
        fg_api->error_set(err, FG_E_NOMEM, "byte_tokenizer: out of memory");
        return FG_E_NOMEM;
    }
    t->vt = &bt_vtbl;
    *out = t;
    return FG_OK;
}

static const fg_factory_desc factories[] = {
    FG_FACTORY_NOPARAMS(FG_KIND_TOKENIZER, "byte_tokenizer",
                        "Byte-level tokenizer: each byte of the UTF-8 text is one token; "
                        "vocabulary 256.",
                        bt_create),
};

FG_PLUGIN_DEFINE("byte_tokenizer", "0.1.0", "Byte-level tokenizer (vocabulary 256)", "MIT",
                 factories)
