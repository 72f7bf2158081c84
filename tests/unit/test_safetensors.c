/* safetensors writer/reader: round trip, atomic replace, writer argument errors, and one
 * check per kind of corruption (each must be an error naming the source, never a crash).
 *
 * For tests/py/test_safetensors_python.py, which checks us against the reference
 * implementation: with FG_ST_OUT=PATH set it writes the sample file there and exits; with
 * FG_ST_IN=PATH set it reads that file and prints one line per tensor:
 * "name<TAB>dtype<TAB>d0,d1,..<TAB>v0,v1,..." (values as %.17g), then "meta<TAB>k<TAB>v". */
#define _POSIX_C_SOURCE 200809L

#include "io/safetensors.h"
#include "tensor/tensor.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fg_test.h"

static char tmpdir[256];

static void path_in_tmp(char *buf, size_t size, const char *name) {
    snprintf(buf, size, "%s/%s", tmpdir, name);
}

/* ---- the sample file -------------------------------------------------------------- */

static const float s_f32[6] = {1.0f, -2.5f, 3.25f, 0.0f, 1e-3f, -7.0f};
static const uint16_t s_bf16[5] = {0x3F80, 0xC000, 0x4049, 0x0000, 0xBF00}; /* 1,-2,3.14,0,-.5 */
static const int32_t s_i32[4] = {-1, 0, 7, 2147483647};
static const double s_f64[1] = {3.141592653589793};
static const float s_after[3] = {10.0f, 20.0f, 30.0f}; /* lands at an odd offset */
static const int64_t sh_f32[2] = {2, 3}, sh_bf16[1] = {5}, sh_i32[2] = {2, 2};
static const int64_t sh_empty[2] = {0, 3}, sh_after[1] = {3};

#define N_SAMPLE 6
static const fg_st_entry sample[N_SAMPLE] = {
    {"blocks.0.attn.qkv.weight", FG_DTYPE_F32, 2, sh_f32, s_f32},
    {"wte.bf16", FG_DTYPE_BF16, 1, sh_bf16, s_bf16},
    {"step_ids", FG_DTYPE_I32, 2, sh_i32, s_i32},
    {"scalar", FG_DTYPE_F64, 0, NULL, s_f64},
    {"empty", FG_DTYPE_F32, 2, sh_empty, NULL},
    {"after_odd", FG_DTYPE_F32, 1, sh_after, s_after},
};
static const char *const meta_k[2] = {"format", "step"};
static const char *const meta_v[2] = {"pt", "42"};

static fg_status write_sample(const char *path, fg_error *err) {
    return fg_safetensors_write(path, sample, N_SAMPLE, meta_k, meta_v, 2, err);
}

static void check_sample(const fg_st_file *f) {
    CHECK(fg_st_count(f) == N_SAMPLE);
    for (size_t i = 0; i < N_SAMPLE && i < fg_st_count(f); i++) {
        const fg_st_entry *e = &sample[i];
        CHECK_MSG(strcmp(fg_st_name(f, i), e->name) == 0, "entry %zu is %s", i, fg_st_name(f, i));
        CHECK(fg_st_dtype(f, i) == e->dtype);
        CHECK(fg_st_ndim(f, i) == e->ndim);
        int64_t numel = 1;
        for (int d = 0; d < e->ndim; d++) {
            CHECK(fg_st_shape(f, i)[d] == e->shape[d]);
            numel *= e->shape[d];
        }
        CHECK(fg_st_numel(f, i) == numel);
        size_t nb = 99;
        const void *data = fg_st_data(f, i, &nb);
        CHECK(nb == (size_t)numel * fg_dtype_size(e->dtype));
        CHECK(data != NULL);
        CHECK(((uintptr_t)data % fg_dtype_size(e->dtype)) == 0);
        if (nb > 0 && data != NULL) CHECK(memcmp(data, e->data, nb) == 0);
        CHECK(fg_st_find(f, e->name) == (int64_t)i);
    }
    CHECK(fg_st_find(f, "nope") == -1);
    CHECK(fg_st_find(f, "") == -1);
    CHECK(fg_st_meta_count(f) == 2);
    CHECK(fg_st_meta_get(f, "step") != NULL && strcmp(fg_st_meta_get(f, "step"), "42") == 0);
    CHECK(fg_st_meta_get(f, "format") != NULL && strcmp(fg_st_meta_key(f, 0), "format") == 0);
    CHECK(fg_st_meta_get(f, "missing") == NULL);
    CHECK(fg_st_name(f, N_SAMPLE) == NULL && fg_st_data(f, N_SAMPLE, NULL) == NULL);
}

static void test_round_trip(void) {
    char path[512];
    path_in_tmp(path, sizeof path, "rt.safetensors");
    fg_error err = {0};
    CHECK_MSG(write_sample(path, &err) == FG_OK, "%s", err.msg);
    size_t len = 0;
    unsigned char *b = (unsigned char *)fg_test_read_file(path, &len);
    CHECK(b != NULL && len > 8);
    if (b != NULL && len > 8) {
        uint64_t n = 0;
        for (int k = 7; k >= 0; k--) n = (n << 8) | b[k];
        CHECK(n % 8 == 0 && n + 8 <= len);
        CHECK(b[8] == '{');
        CHECK(len - 8 - n == 24 + 10 + 16 + 8 + 0 + 12); /* the data, contiguous */
    }
    free(b);

    fg_st_file *f = NULL;
    CHECK_MSG(fg_safetensors_read(path, &f, &err) == FG_OK, "%s", err.msg);
    if (f != NULL) check_sample(f);
    fg_safetensors_close(f);

    /* Replacing an existing file; no temporary left behind. */
    fg_st_entry one = {"x", FG_DTYPE_F32, 1, sh_after, s_after};
    CHECK(fg_safetensors_write(path, &one, 1, NULL, NULL, 0, &err) == FG_OK);
    f = NULL;
    CHECK(fg_safetensors_read(path, &f, &err) == FG_OK);
    CHECK(fg_st_count(f) == 1 && fg_st_meta_count(f) == 0);
    fg_safetensors_close(f);
    DIR *d = opendir(tmpdir);
    struct dirent *de;
    int temps = 0;
    while (d != NULL && (de = readdir(d)) != NULL) temps += strstr(de->d_name, ".tmp-") != NULL;
    if (d != NULL) closedir(d);
    CHECK(temps == 0);

    /* Large dims print as plain integers (not 1e+15) and read back exactly. */
    const int64_t big[3] = {0, 5000000000LL, 999999999999999LL};
    fg_st_entry wide = {"wide", FG_DTYPE_F64, 3, big, NULL};
    CHECK_MSG(fg_safetensors_write(path, &wide, 1, NULL, NULL, 0, &err) == FG_OK, "%s", err.msg);
    f = NULL;
    CHECK_MSG(fg_safetensors_read(path, &f, &err) == FG_OK, "%s", err.msg);
    CHECK(fg_st_ndim(f, 0) == 3 && fg_st_shape(f, 0)[1] == big[1] && fg_st_shape(f, 0)[2] == big[2]);
    CHECK(fg_st_numel(f, 0) == 0);
    fg_safetensors_close(f);
    const int64_t too_big[2] = {0, 1000000000000000LL};
    wide.shape = too_big;
    wide.ndim = 2;
    CHECK(fg_safetensors_write(path, &wide, 1, NULL, NULL, 0, &err) == FG_E_INVALID_ARG);

    /* No tensors at all is a valid file. */
    CHECK(fg_safetensors_write(path, NULL, 0, NULL, NULL, 0, &err) == FG_OK);
    f = NULL;
    CHECK_MSG(fg_safetensors_read(path, &f, &err) == FG_OK, "%s", err.msg);
    CHECK(fg_st_count(f) == 0);
    fg_safetensors_close(f);
    unlink(path);
}

static void expect_write_error(const fg_st_entry *e, size_t n, const char *const *mk,
                               const char *const *mv, size_t nm, fg_status code,
                               const char *needle) {
    char path[512];
    path_in_tmp(path, sizeof path, "bad-write.safetensors");
    fg_error err = {0};
    fg_status st = fg_safetensors_write(path, e, n, mk, mv, nm, &err);
    CHECK_MSG(st == code, "expected %d, got %d (%s)", code, st, err.msg);
    CHECK_MSG(err.code == code && strstr(err.msg, needle) != NULL, "message: %s", err.msg);
    CHECK(access(path, F_OK) != 0);
}

static void test_write_errors(void) {
    fg_st_entry e[2] = {sample[0], sample[2]};
    e[1].name = e[0].name;
    expect_write_error(e, 2, NULL, NULL, 0, FG_E_INVALID_ARG, "duplicate tensor name");
    e[1].name = NULL;
    expect_write_error(e, 2, NULL, NULL, 0, FG_E_INVALID_ARG, "has no name");
    e[1].name = "__metadata__";
    expect_write_error(e, 2, NULL, NULL, 0, FG_E_INVALID_ARG, "reserved");
    e[1] = sample[2];
    e[1].dtype = 17;
    expect_write_error(e, 2, NULL, NULL, 0, FG_E_INVALID_ARG, "unknown dtype");
    e[1] = sample[2];
    int64_t neg[2] = {2, -2};
    e[1].shape = neg;
    expect_write_error(e, 2, NULL, NULL, 0, FG_E_INVALID_ARG, "shape");
    e[1] = sample[2];
    e[1].data = NULL;
    expect_write_error(e, 2, NULL, NULL, 0, FG_E_INVALID_ARG, "no data");
    e[1] = sample[2];
    e[1].name = "bad\xff";
    expect_write_error(e, 2, NULL, NULL, 0, FG_E_INVALID_ARG, "UTF-8");
    const char *k2[2] = {"a", "a"}, *v2[2] = {"1", "2"};
    expect_write_error(sample, 1, k2, v2, 2, FG_E_INVALID_ARG, "duplicate metadata key");

    fg_error err = {0};
    const char *nodir = "/nonexistent-dir-fg/x.safetensors";
    CHECK(fg_safetensors_write(nodir, sample, 1, NULL, NULL, 0, &err) == FG_E_IO);
    CHECK_MSG(strstr(err.msg, nodir) != NULL && strstr(err.msg, "No such file") != NULL,
              "message: %s", err.msg);
}

/* ---- corruption ----------------------------------------------------------------------- */

/* A file image: 8-byte length, the header text (unpadded), then dlen data bytes. */
static unsigned char *image(const char *header, size_t dlen, size_t *len) {
    size_t h = strlen(header);
    *len = 8 + h + dlen;
    unsigned char *b = calloc(1, *len);
    for (int k = 0; k < 8; k++) b[k] = (unsigned char)((uint64_t)h >> (8 * k));
    memcpy(b + 8, header, h);
    return b;
}

static void expect_parse_error_buf(const unsigned char *b, size_t len, fg_status code,
                                   const char *needle, const char *label) {
    fg_error err = {0};
    fg_st_file *f = (fg_st_file *)&err; /* must be reset to NULL */
    fg_status st = fg_safetensors_parse(b, len, "case.safetensors", &f, &err);
    CHECK_MSG(st == code, "%s: expected %d, got %d (%s)", label, code, st, err.msg);
    CHECK_MSG(f == NULL, "%s: out not reset", label);
    CHECK_MSG(strstr(err.msg, "case.safetensors") != NULL && strstr(err.msg, needle) != NULL,
              "%s: message '%s' lacks '%s'", label, err.msg, needle);
}

static void expect_parse_error(const char *header, size_t dlen, fg_status code,
                               const char *needle) {
    size_t len;
    unsigned char *b = image(header, dlen, &len);
    expect_parse_error_buf(b, len, code, needle, header);
    free(b);
}

#define T24 "\"t\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}"

static void test_corruptions(void) {
    size_t len;
    unsigned char *b = image("{" T24 "}", 24, &len);
    fg_st_file *f = NULL;
    fg_error err = {0};
    CHECK_MSG(fg_safetensors_parse(b, len, NULL, &f, &err) == FG_OK, "%s", err.msg);
    fg_safetensors_close(f);
    /* Every truncation of a valid file is an error. */
    int truncated_ok = 0;
    for (size_t cut = 0; cut < len; cut++) {
        f = NULL;
        if (fg_safetensors_parse(b, cut, "case.safetensors", &f, &err) == FG_OK) truncated_ok++;
        fg_safetensors_close(f);
    }
    CHECK(truncated_ok == 0);
    expect_parse_error_buf(b, 5, FG_E_PARSE, "truncated", "5 bytes");
    expect_parse_error_buf(b, len - 1, FG_E_PARSE, "outside the 23 data bytes", "cut data");
    b[0] = 0xff; /* header length beyond the file */
    expect_parse_error_buf(b, len, FG_E_PARSE, "exceeds", "hlen too big");
    memset(b, 0, 8);
    expect_parse_error_buf(b, len, FG_E_PARSE, "too small", "hlen 0");
    free(b);
    unsigned char huge[16] = {0, 0, 0, 0, 0, 0, 0, 0x80};
    expect_parse_error_buf(huge, sizeof huge, FG_E_PARSE, "exceeds", "hlen 2^63");

    expect_parse_error("{" T24, 24, FG_E_PARSE, "invalid JSON");
    expect_parse_error("{\"t\":{\"dtype\":\"F32\",}}", 0, FG_E_PARSE, "invalid JSON");
    expect_parse_error("[1,2]", 0, FG_E_PARSE, "not a JSON object");
    expect_parse_error("{" T24 "}x", 24, FG_E_PARSE, "text after the JSON");
    expect_parse_error("{" T24 "}\xc3", 24, FG_E_PARSE, "UTF-8");
    {
        unsigned char *z = image("{" T24 "}  ", 24, &len);
        z[8 + strlen("{" T24 "}")] = '\0';
        expect_parse_error_buf(z, len, FG_E_PARSE, "NUL", "nul");
        free(z);
    }
    expect_parse_error("{\"__metadata__\":{\"a\":1}," T24 "}", 24, FG_E_PARSE, "not a string");
    expect_parse_error("{\"__metadata__\":[]," T24 "}", 24, FG_E_PARSE, "not an object");
    expect_parse_error("{\"__metadata__\":{\"a\":\"1\",\"a\":\"2\"}}", 0, FG_E_PARSE,
                       "duplicate __metadata__ key");
    expect_parse_error("{\"__metadata__\":{},\"__metadata__\":{}}", 0, FG_E_PARSE,
                       "two __metadata__");
    expect_parse_error("{\"t\":[]}", 0, FG_E_PARSE, "is not an object");
    expect_parse_error("{\"t\":{\"shape\":[],\"data_offsets\":[0,4]}}", 4, FG_E_PARSE,
                       "lacks 'dtype'");
    expect_parse_error("{\"t\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4, FG_E_PARSE,
                       "lacks 'shape'");
    expect_parse_error("{\"t\":{\"dtype\":\"F32\",\"shape\":[]}}", 4, FG_E_PARSE,
                       "lacks 'data_offsets'");
    expect_parse_error("{\"t\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4],\"x\":1}}",
                       4, FG_E_PARSE, "unknown key 'x'");
    expect_parse_error("{\"t\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[],"
                       "\"data_offsets\":[0,4]}}", 4, FG_E_PARSE, "duplicate key 'dtype'");
    expect_parse_error("{\"t\":{\"dtype\":\"F16\",\"shape\":[],\"data_offsets\":[0,2]}}", 2,
                       FG_E_UNSUPPORTED, "dtype 'F16' is not supported");
    expect_parse_error("{\"t\":{\"dtype\":4,\"shape\":[],\"data_offsets\":[0,4]}}", 4,
                       FG_E_PARSE, "dtype is not a string");
    expect_parse_error("{\"t\":{\"dtype\":\"F32\",\"shape\":3,\"data_offsets\":[0,12]}}", 12,
                       FG_E_PARSE, "shape is not an array");
    expect_parse_error("{\"t\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4,
                       FG_E_PARSE, "shape[0] is not a non-negative integer");
    expect_parse_error("{\"t\":{\"dtype\":\"F32\",\"shape\":[1,1.5],\"data_offsets\":[0,4]}}", 4,
                       FG_E_PARSE, "shape[1]");
    expect_parse_error("{\"t\":{\"dtype\":\"F32\",\"shape\":[\"2\"],\"data_offsets\":[0,8]}}", 8,
                       FG_E_PARSE, "shape[0]");
    expect_parse_error("{\"t\":{\"dtype\":\"F32\",\"shape\":[1000000000,1000000000,1000000000],"
                       "\"data_offsets\":[0,4]}}", 4, FG_E_PARSE, "shape too large");
    expect_parse_error("{\"t\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,"
                       "1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,"
                       "1,1,1,1,1,1,1],\"data_offsets\":[0,4]}}", 4, FG_E_PARSE, "dimensions");
    expect_parse_error("{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4,
                       FG_E_PARSE, "data_offsets is not [begin, end]");
    expect_parse_error("{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}", 8,
                       FG_E_PARSE, "data_offsets is not [begin, end]");
    expect_parse_error("{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":{}}}", 4,
                       FG_E_PARSE, "data_offsets is not [begin, end]");
    expect_parse_error("{\"t\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,0]}}", 4,
                       FG_E_PARSE, "outside");
    expect_parse_error("{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4,
                       FG_E_PARSE, "outside the 4 data bytes");
    expect_parse_error("{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4,
                       FG_E_PARSE, "need 8");
    expect_parse_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                       "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12,
                       FG_E_PARSE, "overlapping");
    expect_parse_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                       "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 12,
                       FG_E_PARSE, "gap");
    expect_parse_error("{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 6,
                       FG_E_PARSE, "2 bytes after the last tensor");
    expect_parse_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                       "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8,
                       FG_E_PARSE, "duplicate tensor name 'a'");
    expect_parse_error("{\"\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
                       FG_E_PARSE, "empty name");
    expect_parse_error("{\"t\":{\"dtype\":\"F32\",\"shape\":[1e300],\"data_offsets\":[0,4]}}", 4,
                       FG_E_PARSE, "shape[0]");
}

static void test_file_errors(void) {
    fg_error err = {0};
    fg_st_file *f = NULL;
    CHECK(fg_safetensors_read("/nonexistent-fg.safetensors", &f, &err) == FG_E_IO);
    CHECK_MSG(strstr(err.msg, "/nonexistent-fg.safetensors") != NULL &&
              strstr(err.msg, "No such file") != NULL, "message: %s", err.msg);
    CHECK(fg_safetensors_read(tmpdir, &f, &err) == FG_E_IO && f == NULL);
    CHECK_MSG(strstr(err.msg, "directory") != NULL, "message: %s", err.msg);

    /* A truncated file on disk names the path. */
    char path[512];
    path_in_tmp(path, sizeof path, "trunc.safetensors");
    CHECK(write_sample(path, &err) == FG_OK);
    size_t len = 0;
    unsigned char *b = (unsigned char *)fg_test_read_file(path, &len);
    FILE *w = fopen(path, "wb");
    if (w != NULL && b != NULL) {
        fwrite(b, 1, len - 3, w);
        fclose(w);
    }
    free(b);
    CHECK(fg_safetensors_read(path, &f, &err) == FG_E_PARSE && f == NULL);
    CHECK_MSG(strstr(err.msg, path) != NULL && strstr(err.msg, "truncated") != NULL,
              "message: %s", err.msg);
    unlink(path);
}

/* ---- helpers for the Python cross-check ------------------------------------------------ */

static double value_at(const void *data, int32_t dtype, int64_t k) {
    switch (dtype) {
    case FG_DTYPE_F32: { float v; memcpy(&v, (const char *)data + 4 * k, 4); return v; }
    case FG_DTYPE_I32: { int32_t v; memcpy(&v, (const char *)data + 4 * k, 4); return v; }
    case FG_DTYPE_F64: { double v; memcpy(&v, (const char *)data + 8 * k, 8); return v; }
    default: {
        uint16_t h;
        memcpy(&h, (const char *)data + 2 * k, 2);
        uint32_t bits = (uint32_t)h << 16;
        float v;
        memcpy(&v, &bits, 4);
        return v;
    }
    }
}

static int dump_file(const char *path) {
    fg_error err = {0};
    fg_st_file *f = NULL;
    if (fg_safetensors_read(path, &f, &err) != FG_OK) {
        fprintf(stderr, "error: %s\n", err.msg);
        return 1;
    }
    for (size_t i = 0; i < fg_st_count(f); i++) {
        printf("%s\t%s\t", fg_st_name(f, i), fg_st_dtype_name(fg_st_dtype(f, i)));
        for (int d = 0; d < fg_st_ndim(f, i); d++)
            printf("%s%lld", d ? "," : "", (long long)fg_st_shape(f, i)[d]);
        printf("\t");
        const void *data = fg_st_data(f, i, NULL);
        for (int64_t k = 0; k < fg_st_numel(f, i); k++)
            printf("%s%.17g", k ? "," : "", value_at(data, fg_st_dtype(f, i), k));
        printf("\n");
    }
    for (size_t i = 0; i < fg_st_meta_count(f); i++)
        printf("meta\t%s\t%s\n", fg_st_meta_key(f, i), fg_st_meta_value(f, i));
    fg_safetensors_close(f);
    return 0;
}

int main(void) {
    const char *out = getenv("FG_ST_OUT"), *in = getenv("FG_ST_IN");
    if (out != NULL && out[0] != '\0') {
        fg_error err = {0};
        if (write_sample(out, &err) != FG_OK) {
            fprintf(stderr, "error: %s\n", err.msg);
            return 1;
        }
        return 0;
    }
    if (in != NULL && in[0] != '\0') return dump_file(in);

    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/fg-st-XXXXXX", base && base[0] ? base : "/tmp");
    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    test_round_trip();
    test_write_errors();
    test_corruptions();
    test_file_errors();
    rmdir(tmpdir);
    return fg_test_finish("test_safetensors");
}
