/* fgrun plugin new NAME [--kind optimizer|feedforward] [--dir DIR] [--template DIR]: a new
 * plugin project, copied from the SDK's template and renamed.
 *
 * The template's own name is the first argument of forgather_add_plugin() in its
 * CMakeLists.txt; every occurrence of it (and of its upper-case form) in file names and
 * contents becomes NAME. Per-kind parts are marked so --kind can drop the others: lines
 * from one containing "fg-template: KIND begin" to one containing "fg-template: KIND end",
 * and files whose names contain KIND. A region "fg-template: without-KIND begin/end" is
 * kept only when KIND is dropped, with a leading "#~ " removed from its lines (so a
 * stand-in, e.g. a built-in factory in the example config, stays a comment in the
 * template itself). Marker lines never reach the new project. */
#define _GNU_SOURCE /* dladdr, nftw */
#include "cli/cli.h"

#include "plugin/registry.h"

#include <ctype.h>
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef FG_SOURCE_SDK_TEMPLATE_DIR
#define FG_SOURCE_SDK_TEMPLATE_DIR ""
#endif

static const char *const KINDS[] = {"optimizer", "feedforward"};
#define N_KINDS (sizeof KINDS / sizeof KINDS[0])

typedef struct new_job {
    const char *from, *to;       /* template name -> NAME */
    char from_upper[128], to_upper[128];
    const char *drop_kind;       /* the kind whose parts are left out, or NULL */
    int dropped;                 /* per-kind parts of drop_kind found (regions + files) */
    char error[PATH_MAX + 256];
} new_job;

static int is_dir(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* <libdir>/../share/forgather/sdk/template beside the core library, else the source tree's. */
static int find_template(char *out, size_t cap, char *looked, size_t looked_cap) {
    looked[0] = '\0';
    Dl_info self;
    if (dladdr((void *)fg_registry_init, &self) != 0 && self.dli_fname != NULL) {
        char dir[PATH_MAX];
        snprintf(dir, sizeof dir, "%s", self.dli_fname);
        char *slash = strrchr(dir, '/');
        if (slash != NULL) {
            *slash = '\0';
            snprintf(out, cap, "%s/../share/forgather/sdk/template", dir);
            snprintf(looked, looked_cap, "%s", out);
            if (is_dir(out)) return 1;
        }
    }
    if (FG_SOURCE_SDK_TEMPLATE_DIR[0] != '\0') {
        size_t at = strlen(looked);
        snprintf(looked + at, looked_cap - at, "%s%s", at ? " and " : "", FG_SOURCE_SDK_TEMPLATE_DIR);
        snprintf(out, cap, "%s", FG_SOURCE_SDK_TEMPLATE_DIR);
        if (is_dir(out)) return 1;
    }
    return 0;
}

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    size_t got;
    while (buf != NULL && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *grown = realloc(buf, 2 * cap + 1);
            if (grown == NULL) free(buf);
            buf = grown;
            cap *= 2;
        }
    }
    fclose(f);
    if (buf != NULL) buf[n] = '\0';
    *len = n;
    return buf;
}

/* The first argument of forgather_add_plugin( in the template's CMakeLists.txt. */
static int template_name(const char *tdir, char *name, size_t cap) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/CMakeLists.txt", tdir);
    size_t len;
    char *text = read_file(path, &len);
    if (text == NULL) return 0;
    size_t n = 0;
    /* The first call with an argument (a comment may mention "forgather_add_plugin()"). */
    for (const char *at = strstr(text, "forgather_add_plugin("); at != NULL && n == 0;
         at = strstr(at, "forgather_add_plugin(")) {
        at += strlen("forgather_add_plugin(");
        while (isspace((unsigned char)*at)) at++;
        while ((isalnum((unsigned char)at[n]) || at[n] == '_') && n + 1 < cap) n++;
        snprintf(name, cap, "%.*s", (int)n, at);
    }
    free(text);
    return n > 0;
}

/* Writes s with every `from` replaced by `to` (and the upper-case forms). */
static void put_renamed(FILE *out, const char *s, size_t len, const new_job *job) {
    size_t lf = strlen(job->from), lu = strlen(job->from_upper);
    for (size_t i = 0; i < len;) {
        if (len - i >= lf && memcmp(s + i, job->from, lf) == 0) {
            fputs(job->to, out);
            i += lf;
        } else if (len - i >= lu && memcmp(s + i, job->from_upper, lu) == 0) {
            fputs(job->to_upper, out);
            i += lu;
        } else {
            fputc(s[i++], out);
        }
    }
}

static int is_marker(const char *line, size_t len, const char *kind, const char *what) {
    char marker[64];
    snprintf(marker, sizeof marker, "fg-template: %s%s%s", kind ? kind : "", kind ? " " : "", what ? what : "");
    return memmem(line, len, marker, strlen(marker)) != NULL;
}

/* The kind of a "fg-template: without-KIND <what>" line, or NULL. */
static const char *without_marker(const char *line, size_t len, const char *what) {
    for (size_t k = 0; k < N_KINDS; k++) {
        char marker[64];
        snprintf(marker, sizeof marker, "fg-template: without-%s %s", KINDS[k], what);
        if (memmem(line, len, marker, strlen(marker)) != NULL) return KINDS[k];
    }
    return NULL;
}

/* A stand-in line: "  #~ text" -> "  text". */
static void put_uncommented(FILE *out, const char *line, size_t n, new_job *job) {
    size_t lead = 0;
    while (lead < n && (line[lead] == ' ' || line[lead] == '\t')) lead++;
    if (n - lead >= 3 && memcmp(line + lead, "#~ ", 3) == 0) {
        put_renamed(out, line, lead, job);
        put_renamed(out, line + lead + 3, n - lead - 3, job);
    } else {
        put_renamed(out, line, n, job);
    }
}

static int copy_file(const char *src, const char *dst, mode_t mode, new_job *job) {
    size_t len;
    char *text = read_file(src, &len);
    FILE *out = text ? fopen(dst, "wb") : NULL;
    if (out == NULL) {
        snprintf(job->error, sizeof job->error, "%s: %s", text ? dst : src, strerror(errno));
        free(text);
        return -1;
    }
    if (memchr(text, '\0', len) != NULL) {
        fwrite(text, 1, len, out); /* binary: copied as is */
    } else {
        int skipping = 0, standin = 0;
        for (size_t i = 0; i < len;) {
            const char *line = text + i;
            const char *nl = memchr(line, '\n', len - i);
            size_t n = nl ? (size_t)(nl - line) + 1 : len - i;
            i += n;
            const char *without = NULL;
            if (job->drop_kind && is_marker(line, n, job->drop_kind, "begin")) {
                skipping = 1;
                job->dropped++;
            } else if ((without = without_marker(line, n, "begin")) != NULL) {
                standin = job->drop_kind != NULL && strcmp(without, job->drop_kind) == 0;
                skipping = !standin;
            } else if ((job->drop_kind && is_marker(line, n, job->drop_kind, "end")) ||
                       without_marker(line, n, "end") != NULL) {
                skipping = standin = 0;
            } else if (!skipping && !is_marker(line, n, NULL, NULL)) {
                if (standin)
                    put_uncommented(out, line, n, job);
                else
                    put_renamed(out, line, n, job);
            }
        }
    }
    free(text);
    int bad = ferror(out);
    bad |= fclose(out);
    if (bad) {
        snprintf(job->error, sizeof job->error, "%s: write failed", dst);
        return -1;
    }
    chmod(dst, mode & 0777);
    return 0;
}

static int copy_tree(const char *src, const char *dst, new_job *job) {
    if (mkdir(dst, 0777) != 0) {
        snprintf(job->error, sizeof job->error, "%s: cannot create: %s", dst, strerror(errno));
        return -1;
    }
    DIR *dir = opendir(src);
    if (dir == NULL) {
        snprintf(job->error, sizeof job->error, "%s: %s", src, strerror(errno));
        return -1;
    }
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(dir)) != NULL) {
        const char *n = e->d_name;
        if (strcmp(n, ".") == 0 || strcmp(n, "..") == 0 || strcmp(n, ".git") == 0 || strcmp(n, "build") == 0)
            continue;
        if (job->drop_kind && strstr(n, job->drop_kind) != NULL) {
            job->dropped++;
            continue;
        }
        char from[PATH_MAX], to[PATH_MAX];
        snprintf(from, sizeof from, "%s/%s", src, n);
        size_t at = (size_t)snprintf(to, sizeof to, "%s/", dst);
        FILE *name = fmemopen(to + at, sizeof to - at, "w");
        if (name == NULL) {
            rc = -1;
            snprintf(job->error, sizeof job->error, "out of memory");
            break;
        }
        put_renamed(name, n, strlen(n), job);
        fclose(name);
        struct stat st;
        if (stat(from, &st) != 0) {
            snprintf(job->error, sizeof job->error, "%s: %s", from, strerror(errno));
            rc = -1;
        } else if (S_ISDIR(st.st_mode)) {
            rc = copy_tree(from, to, job);
        } else if (S_ISREG(st.st_mode)) {
            rc = copy_file(from, to, st.st_mode, job);
        }
    }
    closedir(dir);
    return rc;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static int valid_identifier(const char *s) {
    if (!(isalpha((unsigned char)s[0]) || s[0] == '_')) return 0;
    for (const char *c = s; *c; c++)
        if (!(isalnum((unsigned char)*c) || *c == '_')) return 0;
    return strlen(s) < 100;
}

static void upper(char *dst, size_t cap, const char *src) {
    size_t i = 0;
    for (; src[i] && i + 1 < cap; i++) dst[i] = (char)toupper((unsigned char)src[i]);
    dst[i] = '\0';
}

int fg_cmd_plugin_new(int argc, char **argv) {
    const char *name = NULL, *kind = NULL, *dir = NULL, *tdir_opt = NULL;
    for (int i = 0; i < argc; i++) {
        int missing = 0;
        const char *v;
        if ((v = fg_cli_option(argc, argv, &i, "--kind", &missing)) != NULL) {
            kind = v;
        } else if ((v = fg_cli_option(argc, argv, &i, "--dir", &missing)) != NULL) {
            dir = v;
        } else if ((v = fg_cli_option(argc, argv, &i, "--template", &missing)) != NULL) {
            tdir_opt = v;
        } else if (missing) {
            return fg_cli_bad_argument("plugin new", argv[i], 1);
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs("usage: fgrun plugin new NAME [--kind optimizer|feedforward] [--dir DIR] [--template DIR]\n\n"
                  "Creates DIR (default ./NAME), a plugin project copied from the SDK template\n"
                  "(<prefix>/share/forgather/sdk/template, or --template DIR) with the plugin\n"
                  "renamed to NAME. --kind keeps only that example factory.\n",
                  stdout);
            return 0;
        } else if (name == NULL && argv[i][0] != '-') {
            name = argv[i];
        } else {
            return fg_cli_bad_argument("plugin new", argv[i], 0);
        }
    }
    char msg[2 * PATH_MAX + 300];
    if (name == NULL) return fg_cli_fail("plugin new: which name? (fgrun plugin new NAME)");
    if (!valid_identifier(name)) {
        snprintf(msg, sizeof msg,
                 "plugin new: '%s' is not a valid plugin name: use a C identifier (letters, digits, "
                 "'_', not starting with a digit)", name);
        return fg_cli_fail(msg);
    }
    new_job job = {.from = NULL, .to = name};
    if (kind != NULL) {
        size_t k = 0;
        while (k < N_KINDS && strcmp(KINDS[k], kind) != 0) k++;
        if (k == N_KINDS) {
            snprintf(msg, sizeof msg, "plugin new: unknown --kind '%s' (optimizer or feedforward)", kind);
            return fg_cli_fail(msg);
        }
        job.drop_kind = KINDS[1 - k];
    }
    if (dir == NULL) dir = name;
    struct stat st;
    if (lstat(dir, &st) == 0) {
        snprintf(msg, sizeof msg, "plugin new: %s already exists; choose another --dir", dir);
        return fg_cli_fail(msg);
    }
    char tdir[PATH_MAX], looked[2 * PATH_MAX + 8];
    if (tdir_opt != NULL) {
        snprintf(tdir, sizeof tdir, "%s", tdir_opt);
        snprintf(looked, sizeof looked, "%s", tdir_opt);
    }
    if (tdir_opt != NULL ? !is_dir(tdir) : !find_template(tdir, sizeof tdir, looked, sizeof looked)) {
        snprintf(msg, sizeof msg, "plugin new: the SDK template is missing (looked in %s)",
                 looked[0] ? looked : "no place: the core library's location is unknown");
        return fg_cli_fail(msg);
    }
    char from[128];
    if (!template_name(tdir, from, sizeof from)) {
        snprintf(msg, sizeof msg, "plugin new: %s/CMakeLists.txt does not call forgather_add_plugin(NAME ...)", tdir);
        return fg_cli_fail(msg);
    }
    job.from = from;
    upper(job.from_upper, sizeof job.from_upper, from);
    upper(job.to_upper, sizeof job.to_upper, name);
    int rc = copy_tree(tdir, dir, &job);
    if (rc == 0 && job.drop_kind != NULL && job.dropped == 0) {
        snprintf(job.error, sizeof job.error,
                 "the template %s marks no %s parts to leave out (\"fg-template: %s begin/end\" "
                 "lines or file names containing '%s')", tdir, job.drop_kind, job.drop_kind, job.drop_kind);
        rc = -1;
    }
    if (rc != 0) {
        nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS); /* leave nothing half-made */
        snprintf(msg, sizeof msg, "plugin new: %s", job.error);
        return fg_cli_fail(msg);
    }
    printf("created %s: plugin '%s' from %s%s%s\n", dir, name, tdir, kind ? ", kind " : "", kind ? kind : "");
    printf("build it:  cmake -S %s -B %s/build && cmake --build %s/build\n", dir, dir, dir);
    printf("check it:  fgrun plugin check %s/build/libfg_%s.so\n", dir, name);
    return 0;
}
