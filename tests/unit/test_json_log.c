/* JSON-array log: the file parses (with cJSON) as the records so far after every append,
 * non-finite values are null, keys are escaped, bad keys are refused, an existing log is
 * appended to, and a file that is not a JSON array is an error naming it. */
#define _POSIX_C_SOURCE 200809L

#include "io/json_log.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fg_test.h"

/* Parses the file strictly; returns the array or NULL. */
static cJSON *parse_log(const char *path) {
    char *text = fg_test_read_file(path, NULL);
    if (text == NULL) return NULL;
    cJSON *root = cJSON_ParseWithOpts(text, NULL, 1);
    free(text);
    if (!cJSON_IsArray(root)) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

static double num(const cJSON *rec, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, key);
    return cJSON_IsNumber(v) ? v->valuedouble : -12345.0;
}

static void test_appends(const char *path) {
    unlink(path);
    fg_error err = {0};
    fg_json_log *log = NULL;
    CHECK_MSG(fg_json_log_open(path, &log, &err) == FG_OK, "%s", err.msg);
    cJSON *a = parse_log(path);
    CHECK(a != NULL && cJSON_GetArraySize(a) == 0); /* valid even before the first record */
    cJSON_Delete(a);

    const char *keys[4] = {"loss", "lr", "tokens_per_s", "grad_norm"};
    for (int s = 1; s <= 5; s++) {
        double vals[4] = {10.0 / s, 1e-3 * s, 12345.678 + s, 0.1};
        CHECK_MSG(fg_json_log_append(log, s * 10, 4, keys, vals, &err) == FG_OK, "%s", err.msg);
        a = parse_log(path);
        CHECK_MSG(a != NULL && cJSON_GetArraySize(a) == s, "after %d appends", s);
        const cJSON *last = cJSON_GetArrayItem(a, s - 1);
        CHECK(num(last, "step") == s * 10);
        CHECK(num(last, "loss") == 10.0 / s); /* exact: the shortest round-trip form */
        CHECK(num(last, "lr") == 1e-3 * s);
        CHECK(num(last, "tokens_per_s") == 12345.678 + s);
        CHECK(num(last, "grad_norm") == 0.1);
        cJSON_Delete(a);
    }
    char *text = fg_test_read_file(path, NULL);
    CHECK(text != NULL && strncmp(text, "[\n{\"step\": 10, \"loss\": 10, \"lr\": 0.001, ", 40) == 0);
    CHECK(text != NULL && strstr(text, "\"grad_norm\": 0.1},\n{\"step\": 20") != NULL);
    CHECK(text != NULL && strlen(text) > 2 && strcmp(text + strlen(text) - 3, "}\n]") == 0);
    free(text);

    /* Non-finite values are null; keys are escaped; no values at all is fine. */
    const char *odd[3] = {"nan", "inf", "we\"ird\\key\n"};
    double ov[3] = {NAN, -INFINITY, 2.5};
    CHECK(fg_json_log_append(log, 60, 3, odd, ov, &err) == FG_OK);
    CHECK(fg_json_log_append(log, 70, 0, NULL, NULL, &err) == FG_OK);
    a = parse_log(path);
    CHECK(a != NULL && cJSON_GetArraySize(a) == 7);
    const cJSON *r = cJSON_GetArrayItem(a, 5);
    CHECK(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(r, "nan")));
    CHECK(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(r, "inf")));
    CHECK(num(r, "we\"ird\\key\n") == 2.5);
    CHECK(num(cJSON_GetArrayItem(a, 6), "step") == 70);
    cJSON_Delete(a);

    /* Refused keys leave the file as it was. */
    const char *dup[2] = {"x", "x"}, *step[1] = {"step"}, *null[1] = {NULL};
    double v2[2] = {1, 2};
    CHECK(fg_json_log_append(log, 80, 2, dup, v2, &err) == FG_E_INVALID_ARG);
    CHECK(strstr(err.msg, "duplicate key 'x'") != NULL && strstr(err.msg, path) != NULL);
    CHECK(fg_json_log_append(log, 80, 1, step, v2, &err) == FG_E_INVALID_ARG);
    CHECK(fg_json_log_append(log, 80, 1, null, v2, &err) == FG_E_INVALID_ARG);
    CHECK(fg_json_log_append(NULL, 80, 0, NULL, NULL, &err) == FG_E_INVALID_ARG);
    a = parse_log(path);
    CHECK(a != NULL && cJSON_GetArraySize(a) == 7);
    cJSON_Delete(a);
    fg_json_log_close(log);

    /* Reopening (a resumed run) appends after the existing records. */
    log = NULL;
    CHECK_MSG(fg_json_log_open(path, &log, &err) == FG_OK, "%s", err.msg);
    double v = 1.5;
    const char *k1[1] = {"loss"};
    CHECK(fg_json_log_append(log, 80, 1, k1, &v, &err) == FG_OK);
    fg_json_log_close(log);
    a = parse_log(path);
    CHECK(a != NULL && cJSON_GetArraySize(a) == 8);
    CHECK(num(cJSON_GetArrayItem(a, 7), "loss") == 1.5);
    cJSON_Delete(a);
    unlink(path);
}

static void test_existing_files(const char *path) {
    fg_error err = {0};
    fg_json_log *log = NULL;
    const double v = 3.0;
    const char *k[1] = {"loss"};

    /* Hand-written arrays, empty or not, with trailing whitespace. */
    const char *ok_inputs[3] = {"[]", "[ {\"step\": 1} ]\n\n", "[\n]"};
    const int ok_counts[3] = {1, 2, 1};
    for (int i = 0; i < 3; i++) {
        fg_test_write_file(path, ok_inputs[i]);
        log = NULL;
        CHECK_MSG(fg_json_log_open(path, &log, &err) == FG_OK, "%s", err.msg);
        CHECK(fg_json_log_append(log, 5, 1, k, &v, &err) == FG_OK);
        fg_json_log_close(log);
        cJSON *a = parse_log(path);
        CHECK_MSG(a != NULL && cJSON_GetArraySize(a) == ok_counts[i], "input %d", i);
        CHECK(num(cJSON_GetArrayItem(a, ok_counts[i] - 1), "loss") == 3.0);
        cJSON_Delete(a);
    }

    const char *bad[5] = {"{}", "[1, 2", "[1] x", "garbage", "[\n{\"step\": 1},\n"};
    for (int i = 0; i < 5; i++) {
        fg_test_write_file(path, bad[i]);
        log = (fg_json_log *)&err;
        CHECK_MSG(fg_json_log_open(path, &log, &err) == FG_E_PARSE, "input %d", i);
        CHECK(log == NULL && strstr(err.msg, path) != NULL);
        char *text = fg_test_read_file(path, NULL);
        CHECK(text != NULL && strcmp(text, bad[i]) == 0); /* untouched */
        free(text);
    }
    unlink(path);

    CHECK(fg_json_log_open("/nonexistent-dir-fg/log.json", &log, &err) == FG_E_IO);
    CHECK_MSG(strstr(err.msg, "/nonexistent-dir-fg/log.json") != NULL &&
              strstr(err.msg, "No such file") != NULL, "message: %s", err.msg);
    CHECK(fg_json_log_open("/tmp", &log, &err) == FG_E_IO && log == NULL);
    fg_json_log_close(NULL);
}

int main(void) {
    const char *base = getenv("TMPDIR");
    char dir[256], path[300];
    snprintf(dir, sizeof dir, "%s/fg-jl-XXXXXX", base && base[0] ? base : "/tmp");
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(path, sizeof path, "%s/trainer_logs.json", dir);
    test_appends(path);
    test_existing_files(path);
    rmdir(dir);
    return fg_test_finish("test_json_log");
}
