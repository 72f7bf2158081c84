/* libFuzzer target for the safetensors reader: any input is either a valid file, whose
 * every accessor and byte is then touched, or an error with a message; never a crash.
 *
 * An input that starts with '{' is taken as header text up to its last '}' followed by
 * the data bytes, and the 8-byte length is put in front, so mutations of the JSON are not
 * all rejected by the length check. Any other input is parsed as a whole file. */
#include "io/safetensors.h"
#include "tensor/tensor.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_file(const uint8_t *data, size_t size) {
    fg_error err = {0};
    fg_st_file *f = NULL;
    fg_status st = fg_safetensors_parse(data, size, "fuzz input", &f, &err);
    if (st != FG_OK) {
        /* an error always says what it is about */
        if (f != NULL || err.code != st || strstr(err.msg, "fuzz input") == NULL)
            __builtin_trap();
        return;
    }
    volatile unsigned sum = 0;
    for (size_t i = 0; i < fg_st_count(f); i++) {
        size_t nb = 0;
        const unsigned char *p = fg_st_data(f, i, &nb);
        int64_t numel = 1;
        for (int32_t d = 0; d < fg_st_ndim(f, i); d++) numel *= fg_st_shape(f, i)[d];
        if (numel != fg_st_numel(f, i) ||
            nb != (size_t)numel * fg_dtype_size(fg_st_dtype(f, i)) ||
            fg_st_find(f, fg_st_name(f, i)) != (int64_t)i)
            __builtin_trap();
        for (size_t k = 0; k < nb; k++) sum += p[k];
    }
    (void)sum; /* read every byte so ASan checks the whole data range */
    for (size_t i = 0; i < fg_st_meta_count(f); i++)
        if (fg_st_meta_get(f, fg_st_meta_key(f, i)) == NULL) __builtin_trap();
    fg_safetensors_close(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0 || data[0] != '{') {
        check_file(data, size);
        return 0;
    }
    size_t h = size;
    while (h > 0 && data[h - 1] != '}') h--;
    if (h == 0) h = size;
    uint8_t *buf = malloc(size + 8);
    if (buf == NULL) return 0;
    for (int k = 0; k < 8; k++) buf[k] = (uint8_t)((uint64_t)h >> (8 * k));
    memcpy(buf + 8, data, size);
    check_file(buf, size + 8);
    free(buf);
    return 0;
}
