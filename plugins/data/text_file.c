/* A dataset from one text file: read whole, encoded once with the given tokenizer into
 * an int32 array in memory. split picks all tokens, the first (1 - validation_fraction)
 * of them (train), or the rest (validation), so one file serves both roles without the
 * two overlapping. */
#define _POSIX_C_SOURCE 200809L /* fstat, fileno: tell a directory from a file */
#include <forgather/plugin.h>

#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define TF_PATH_MAX 4096

typedef struct text_file {
    const fg_dataset_vtbl *vt;
    int32_t *tokens;
    int64_t n_tokens;
    char path[TF_PATH_MAX]; /* resolved, for error messages */
} text_file;

static int64_t tf_num_tokens(const void *self) { return ((const text_file *)self)->n_tokens; }

static fg_status tf_read(const void *self, int64_t offset, int64_t n, int32_t *out, fg_error *err) {
    const text_file *d = self;
    if (offset < 0 || n < 0 || offset > d->n_tokens || n > d->n_tokens - offset) {
        fg_api->error_set(err, FG_E_RANGE,
                          "text_file: read of %lld tokens at offset %lld is outside '%s' "
                          "(%lld tokens)",
                          (long long)n, (long long)offset, d->path, (long long)d->n_tokens);
        return FG_E_RANGE;
    }
    if (n > 0 && out == NULL) {
        fg_api->error_set(err, FG_E_INVALID_ARG, "text_file: read into a NULL buffer");
        return FG_E_INVALID_ARG;
    }
    if (n > 0) memcpy(out, d->tokens + offset, sizeof(int32_t) * (size_t)n);
    return FG_OK;
}

static void tf_destroy(void *self) {
    text_file *d = self;
    if (d == NULL) return;
    fg_api->free(d->tokens);
    fg_api->free(d);
}

static const fg_dataset_vtbl tf_vtbl = {
    .base = {sizeof(fg_dataset_vtbl), FG_KIND_DATASET, tf_destroy},
    .num_tokens = tf_num_tokens,
    .read = tf_read,
};

/* Reads the whole file into a host allocation; *len is its size in bytes. */
static fg_status read_file(const char *path, char **data, size_t *len, fg_error *err) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fg_api->error_set(err, FG_E_IO, "text_file: cannot open '%s': %s", path, strerror(errno));
        return FG_E_IO;
    }
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0) {
        fg_api->error_set(err, FG_E_IO, "text_file: cannot stat '%s': %s", path, strerror(errno));
        fclose(f);
        return FG_E_IO;
    }
    if (!S_ISREG(sb.st_mode)) {
        fg_api->error_set(err, FG_E_IO, "text_file: '%s' is not a regular file", path);
        fclose(f);
        return FG_E_IO;
    }
    const long long size = (long long)sb.st_size;
    if (size == 0) {
        fg_api->error_set(err, FG_E_INVALID_ARG, "text_file: '%s' is empty", path);
        fclose(f);
        return FG_E_INVALID_ARG;
    }
    char *buf = fg_api->alloc((size_t)size);
    if (buf == NULL) {
        fg_api->error_set(err, FG_E_NOMEM, "text_file: out of memory reading '%s' (%lld bytes)",
                          path, size);
        fclose(f);
        return FG_E_NOMEM;
    }
    const size_t got = fread(buf, 1, (size_t)size, f);
    const int failed = ferror(f);
    fclose(f);
    if (failed || got != (size_t)size) {
        fg_api->error_set(err, FG_E_IO, "text_file: read %zu of %lld bytes of '%s'", got, size,
                          path);
        fg_api->free(buf);
        return FG_E_IO;
    }
    *data = buf;
    *len = (size_t)size;
    return FG_OK;
}

/* Encodes with a first guess of one id per byte; asks again if the tokenizer needs more. */
static fg_status encode_all(text_file *d, void *tok_obj, const char *text, size_t len,
                            fg_error *err) {
    const fg_tokenizer_vtbl *tok = *(const fg_tokenizer_vtbl *const *)tok_obj;
    size_t cap = len, need = 0;
    for (int attempt = 0; attempt < 2; attempt++) {
        int32_t *ids = fg_api->alloc(sizeof(int32_t) * (cap > 0 ? cap : 1));
        if (ids == NULL) {
            fg_api->error_set(err, FG_E_NOMEM, "text_file: out of memory for %zu tokens of '%s'",
                              cap, d->path);
            return FG_E_NOMEM;
        }
        fg_status st = tok->encode(tok_obj, text, len, ids, cap, &need, err);
        if (st != FG_OK) {
            fg_api->free(ids);
            return st;
        }
        if (need <= cap) {
            d->tokens = ids;
            d->n_tokens = (int64_t)need;
            return FG_OK;
        }
        fg_api->free(ids);
        cap = need;
    }
    fg_api->error_set(err, FG_E_INTERNAL,
                      "text_file: the tokenizer asked for a different token count on each "
                      "pass over '%s'",
                      d->path);
    return FG_E_INTERNAL;
}

/* Keeps only the tokens of the chosen split, in a buffer of their own size. */
static fg_status apply_split(text_file *d, const char *split, double fraction, fg_error *err) {
    if (strcmp(split, "all") == 0) {
        if (d->n_tokens < 2) {
            fg_api->error_set(err, FG_E_INVALID_ARG,
                              "text_file: '%s' has %lld token(s); a dataset needs at least 2",
                              d->path, (long long)d->n_tokens);
            return FG_E_INVALID_ARG;
        }
        return FG_OK;
    }
    const int64_t n_train = (int64_t)((1.0 - fraction) * (double)d->n_tokens);
    const int is_train = strcmp(split, "train") == 0;
    const int64_t begin = is_train ? 0 : n_train;
    const int64_t count = is_train ? n_train : d->n_tokens - n_train;
    if (count < 2) {
        fg_api->error_set(err, FG_E_INVALID_ARG,
                          "text_file: split '%s' of '%s' has %lld token(s) (of %lld, "
                          "validation_fraction %g); it needs at least 2",
                          split, d->path, (long long)count, (long long)d->n_tokens, fraction);
        return FG_E_INVALID_ARG;
    }
    int32_t *part = fg_api->alloc(sizeof(int32_t) * (size_t)count);
    if (part == NULL) {
        fg_api->error_set(err, FG_E_NOMEM, "text_file: out of memory for split '%s'", split);
        return FG_E_NOMEM;
    }
    memcpy(part, d->tokens + begin, sizeof(int32_t) * (size_t)count);
    fg_api->free(d->tokens);
    d->tokens = part;
    d->n_tokens = count;
    return FG_OK;
}

static fg_status load(text_file *d, const fg_params *params, fg_error *err) {
    const char *path = NULL, *split = NULL;
    double fraction = 0.1;
    void *tok = NULL;
    fg_status st;
    if ((st = fg_api->param_str(params, "path", &path, err)) != FG_OK ||
        (st = fg_api->param_str(params, "split", &split, err)) != FG_OK ||
        (st = fg_api->param_float(params, "validation_fraction", &fraction, err)) != FG_OK)
        return st;
    if (!(fraction > 0.0 && fraction < 1.0)) {
        fg_api->error_set(err, FG_E_RANGE, "text_file: validation_fraction %g is not in (0, 1)",
                          fraction);
        return FG_E_RANGE;
    }
    if (split == NULL || (strcmp(split, "all") != 0 && strcmp(split, "train") != 0 &&
                          strcmp(split, "validation") != 0)) {
        fg_api->error_set(err, FG_E_INVALID_ARG,
                          "text_file: split '%s' is not one of: all, train, validation",
                          split != NULL ? split : "(null)");
        return FG_E_INVALID_ARG;
    }
    if ((st = fg_api->resolve_path(path, d->path, sizeof(d->path), err)) != FG_OK) return st;
    if ((st = fg_api->param_object(params, "tokenizer", &tok, err)) != FG_OK) return st;
    if (tok == NULL) {
        fg_api->error_set(err, FG_E_NOT_FOUND, "text_file: parameter 'tokenizer' is missing");
        return FG_E_NOT_FOUND;
    }
    char *text = NULL;
    size_t len = 0;
    if ((st = read_file(d->path, &text, &len, err)) != FG_OK) return st;
    st = encode_all(d, tok, text, len, err);
    fg_api->free(text);
    if (st != FG_OK) return st;
    return apply_split(d, split, fraction, err);
}

static fg_status tf_create(const fg_params *params, const fg_create_args *args, void **out,
                           fg_error *err) {
    text_file *d = fg_api->alloc(sizeof(text_file));
    if (d == NULL) {
        fg_api->error_set(err, FG_E_NOMEM, "text_file: out of memory");
        return FG_E_NOMEM;
    }
    memset(d, 0, sizeof(*d));
    d->vt = &tf_vtbl;
    fg_status st = load(d, params, err);
    if (st != FG_OK) {
        tf_destroy(d);
        return st;
    }
    *out = d;
    return FG_OK;
}

static const char *const split_choices[] = {"all", "train", "validation", NULL};

static const fg_param_spec tf_spec[] = {
    FG_SPEC_REQ_STR("path",
                    "the text file; a relative path is taken from the config file's directory"),
    FG_SPEC_OBJECT("tokenizer", FG_KIND_TOKENIZER, 1,
                   "the tokenizer that turns the text into token ids"),
    FG_SPEC_STR(
        "split", "all", split_choices,
        "all: every token; train: the first (1 - validation_fraction); validation: the rest"),
    FG_SPEC_FLOAT("validation_fraction", "0.1", 0, 1,
                  "share of the tokens, from the end, held out as the validation split; in (0, 1)"),
};

static const fg_factory_desc factories[] = {
    FG_FACTORY(FG_KIND_DATASET, "text_file",
               "Token stream from one text file, tokenized once into memory; optionally "
               "split into train and validation parts.",
               tf_spec, tf_create),
};

FG_PLUGIN_DEFINE("text_file", "0.1.0", "Dataset from a plain-text file", "MIT", factories)
