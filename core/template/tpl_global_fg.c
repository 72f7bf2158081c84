/* Forgather's extra globals (spec A.1): times, os.path helpers with posixpath semantics,
 * repr, and platformdirs-style directories (Unix rules, XDG variables honoured).
 * now()/utcnow() return str(datetime) text ("2024-01-02 03:04:05[.ffffff]"), not a
 * datetime object. */
#define _POSIX_C_SOURCE 200809L
#include "template/tpl_impl.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* ---- time ---- */

static bool time_text(tpl_ctx *ctx, const tpl_args *args, const char *fn, bool utc, const char *fmt,
                      bool micro, tpl_value *out) {
    if (args->n_pos || args->n_kw) return tpl_fail(ctx, TPL_E_TYPE, "%s() takes 0 positional arguments", fn);
    time_t t = ctx->fixed_time;
    long usec = 0;
    if (t == 0) {
        struct timeval tv;
        gettimeofday(&tv, NULL);
        t = tv.tv_sec;
        usec = (long)tv.tv_usec;
    }
    struct tm tm;
    if ((utc ? gmtime_r(&t, &tm) : localtime_r(&t, &tm)) == NULL)
        return tpl_fail(ctx, TPL_E_VALUE, "time out of range");
    char buf[64];
    strftime(buf, sizeof buf, fmt, &tm);
    if (micro && usec) snprintf(buf + strlen(buf), sizeof buf - strlen(buf), ".%06ld", usec);
    return tpl_str_cstr(ctx, buf, out);
}

#define TIME_FN(name, utc, fmt, micro)                                                      \
    static bool g_##name(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *a, tpl_value *out) { \
        return time_text(ctx, a, #name, utc, fmt, micro, out);                             \
    }
TIME_FN(isotime, false, "%Y-%m-%dT%H:%M:%S", false)
TIME_FN(utcisotime, true, "%Y-%m-%dT%H:%M:%S", false)
TIME_FN(filetime, false, "%Y-%m-%dT%H-%M-%S", false)
TIME_FN(utcfiletime, true, "%Y-%m-%dT%H-%M-%S", false)
TIME_FN(now, false, "%Y-%m-%d %H:%M:%S", true)
TIME_FN(utcnow, true, "%Y-%m-%d %H:%M:%S", true)

/* ---- path helpers (posixpath) ---- */

static bool path_arg(tpl_ctx *ctx, const char *fn, tpl_value v) {
    if (!tpl_check_defined(ctx, v)) return false;
    if (v.kind != TPL_STR)
        return tpl_fail(ctx, TPL_E_TYPE, "%s() argument must be str, bytes, or os.PathLike object, not '%s'", fn,
                        tpl_type_name(v));
    return true;
}

static bool join_into(tpl_ctx *ctx, tpl_buf *b, const char *part, size_t n) {
    if (n && part[0] == '/') {
        b->len = 0;
    } else if (b->len && b->data[b->len - 1] != '/') {
        if (!tpl_buf_putc(ctx, b, '/')) return false;
    }
    return tpl_buf_put(ctx, b, part, n);
}

static bool g_joinpath(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *args, tpl_value *out) {
    if (args->n_kw) return tpl_fail(ctx, TPL_E_TYPE, "join() takes no keyword arguments");
    for (size_t i = 0; i < args->n_pos; i++)
        if (!tpl_check_defined(ctx, args->pos[i])) return false;
    if (args->n_pos == 0) return tpl_fail(ctx, TPL_E_TYPE, "join() missing 1 required positional argument: 'a'");
    tpl_buf b = {0};
    if (!tpl_buf_put(ctx, &b, "", 0)) return false;
    for (size_t i = 0; i < args->n_pos; i++) {
        if (!path_arg(ctx, "join", args->pos[i])) return false;
        if (!join_into(ctx, &b, args->pos[i].u.s->data, args->pos[i].u.s->len)) return false;
    }
    return tpl_buf_to_str(ctx, &b, out);
}

/* posixpath.normpath */
static bool normpath(tpl_ctx *ctx, const char *p, size_t n, tpl_value *out) {
    if (n == 0) return tpl_str_new(ctx, ".", 1, out);
    size_t slashes = 0;
    while (slashes < n && p[slashes] == '/') slashes++;
    size_t initial = slashes == 0 ? 0 : slashes == 2 ? 2 : 1;
    /* components as (offset, length) */
    size_t *off = tpl_alloc(ctx, (n + 1) * sizeof(size_t)), *len = tpl_alloc(ctx, (n + 1) * sizeof(size_t));
    if (off == NULL || len == NULL) return false;
    size_t count = 0;
    for (size_t i = 0; i < n;) {
        while (i < n && p[i] == '/') i++;
        size_t j = i;
        while (j < n && p[j] != '/') j++;
        size_t k = j - i;
        if (k == 0 || (k == 1 && p[i] == '.')) {
        } else if (k == 2 && p[i] == '.' && p[i + 1] == '.' &&
                   (initial || count) && !(count && len[count - 1] == 2 && p[off[count - 1]] == '.' &&
                                            p[off[count - 1] + 1] == '.')) {
            if (count) count--;
        } else {
            off[count] = i;
            len[count] = k;
            count++;
        }
        i = j;
    }
    tpl_buf b = {0};
    if (!tpl_buf_put(ctx, &b, "//", initial)) return false;
    for (size_t c = 0; c < count; c++)
        if ((c && !tpl_buf_putc(ctx, &b, '/')) || !tpl_buf_put(ctx, &b, p + off[c], len[c])) return false;
    if (b.len == 0 && !tpl_buf_putc(ctx, &b, '.')) return false;
    return tpl_buf_to_str(ctx, &b, out);
}

static bool one_path(tpl_ctx *ctx, const char *fn, const tpl_args *args, tpl_value *p) {
    tpl_value v[1];
    bool present[1];
    if (!tpl_bind_args(ctx, fn, args, TPL_NAMES("path"), v, present)) return false;
    if (!present[0]) return tpl_fail(ctx, TPL_E_TYPE, "%s() missing 1 required positional argument: 'path'", fn);
    if (!path_arg(ctx, fn, v[0])) return false;
    *p = v[0];
    return true;
}

static bool g_normpath(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *args, tpl_value *out) {
    tpl_value p = {0};
    return one_path(ctx, "normpath", args, &p) && normpath(ctx, p.u.s->data, p.u.s->len, out);
}

static bool cwd(tpl_ctx *ctx, tpl_value *out) {
    char buf[4096];
    if (getcwd(buf, sizeof buf) == NULL) return tpl_fail(ctx, "FileNotFoundError", "cannot get the working directory");
    return tpl_str_cstr(ctx, buf, out);
}

static bool abspath(tpl_ctx *ctx, tpl_value p, tpl_value *out) {
    if (p.u.s->len && p.u.s->data[0] == '/') return normpath(ctx, p.u.s->data, p.u.s->len, out);
    tpl_value c;
    tpl_buf b = {0};
    if (!cwd(ctx, &c) || !tpl_buf_put(ctx, &b, c.u.s->data, c.u.s->len) ||
        !join_into(ctx, &b, p.u.s->data, p.u.s->len))
        return false;
    return normpath(ctx, b.data, b.len, out);
}

static bool g_abspath(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *args, tpl_value *out) {
    tpl_value p = {0};
    return one_path(ctx, "abspath", args, &p) && abspath(ctx, p, out);
}

static bool g_getcwd(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *args, tpl_value *out) {
    if (args->n_pos || args->n_kw) return tpl_fail(ctx, TPL_E_TYPE, "getcwd() takes no arguments");
    return cwd(ctx, out);
}

/* Non-empty components of an absolute normalized path. */
static size_t components(const char *p, size_t n, size_t *off, size_t *len) {
    size_t c = 0;
    for (size_t i = 0; i < n;) {
        while (i < n && p[i] == '/') i++;
        size_t j = i;
        while (j < n && p[j] != '/') j++;
        if (j > i) {
            off[c] = i;
            len[c] = j - i;
            c++;
        }
        i = j;
    }
    return c;
}

static bool g_relpath(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *args, tpl_value *out) {
    tpl_value v[2];
    bool p[2];
    if (!tpl_bind_args(ctx, "relpath", args, TPL_NAMES("path", "start"), v, p)) return false;
    if (!p[0]) return tpl_fail(ctx, TPL_E_TYPE, "relpath() missing 1 required positional argument: 'path'");
    if (!path_arg(ctx, "relpath", v[0])) return false;
    if (v[0].u.s->len == 0) return tpl_fail(ctx, TPL_E_VALUE, "no path specified");
    tpl_value start = p[1] && v[1].kind != TPL_NONE ? v[1] : tpl_none();
    if (start.kind == TPL_NONE && !tpl_str_new(ctx, ".", 1, &start)) return false;
    if (!path_arg(ctx, "relpath", start)) return false;
    tpl_value a, s;
    if (!abspath(ctx, v[0], &a) || !abspath(ctx, start, &s)) return false;
    size_t na = a.u.s->len, ns = s.u.s->len;
    size_t *ao = tpl_alloc(ctx, (na + 1) * sizeof(size_t)), *al = tpl_alloc(ctx, (na + 1) * sizeof(size_t));
    size_t *so = tpl_alloc(ctx, (ns + 1) * sizeof(size_t)), *sl = tpl_alloc(ctx, (ns + 1) * sizeof(size_t));
    if (!ao || !al || !so || !sl) return false;
    size_t ca = components(a.u.s->data, na, ao, al), cs = components(s.u.s->data, ns, so, sl);
    size_t common = 0;
    while (common < ca && common < cs && al[common] == sl[common] &&
           memcmp(a.u.s->data + ao[common], s.u.s->data + so[common], al[common]) == 0)
        common++;
    tpl_buf b = {0};
    if (!tpl_buf_put(ctx, &b, "", 0)) return false;
    for (size_t i = common; i < cs; i++)
        if (!join_into(ctx, &b, "..", 2)) return false;
    for (size_t i = common; i < ca; i++)
        if (!join_into(ctx, &b, a.u.s->data + ao[i], al[i])) return false;
    if (b.len == 0 && !tpl_buf_putc(ctx, &b, '.')) return false;
    return tpl_buf_to_str(ctx, &b, out);
}

static size_t last_slash_end(tpl_value p) {
    const char *s = p.u.s->data;
    size_t i = p.u.s->len;
    while (i > 0 && s[i - 1] != '/') i--;
    return i; /* index just after the last '/', 0 when none */
}

static bool dirname_of(tpl_ctx *ctx, tpl_value p, tpl_value *out) {
    size_t i = last_slash_end(p);
    const char *s = p.u.s->data;
    size_t head = i;
    bool all_slashes = true;
    for (size_t k = 0; k < head; k++)
        if (s[k] != '/') all_slashes = false;
    if (head && !all_slashes)
        while (head > 0 && s[head - 1] == '/') head--;
    return tpl_str_new(ctx, s, head, out);
}

static bool basename_of(tpl_ctx *ctx, tpl_value p, tpl_value *out) {
    size_t i = last_slash_end(p);
    return tpl_str_new(ctx, p.u.s->data + i, p.u.s->len - i, out);
}

/* posixpath.splitext: (root, ext); leading dots of the name are not an extension. */
static bool splitext_of(tpl_ctx *ctx, tpl_value p, tpl_value *root, tpl_value *ext) {
    const char *s = p.u.s->data;
    size_t n = p.u.s->len, name = last_slash_end(p);
    size_t dot = n;
    for (size_t k = n; k > name; k--)
        if (s[k - 1] == '.') {
            dot = k - 1;
            break;
        }
    if (dot < n) {
        for (size_t k = name; k < dot; k++)
            if (s[k] != '.') return tpl_str_new(ctx, s, dot, root) && tpl_str_new(ctx, s + dot, n - dot, ext);
    }
    *root = p;
    return tpl_str_new(ctx, "", 0, ext);
}

static bool g_dirname(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *args, tpl_value *out) {
    tpl_value p = {0};
    return one_path(ctx, "dirname", args, &p) && dirname_of(ctx, p, out);
}

static bool g_basename(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *args, tpl_value *out) {
    tpl_value p = {0};
    return one_path(ctx, "basename", args, &p) && basename_of(ctx, p, out);
}

static bool g_splitext(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *args, tpl_value *out) {
    tpl_value p = {0}, root, ext;
    return one_path(ctx, "splitext", args, &p) && splitext_of(ctx, p, &root, &ext) &&
           tpl_tuple2(ctx, root, ext, out);
}

static bool g_modname_from_path(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *args, tpl_value *out) {
    tpl_value p = {0}, base, ext;
    return one_path(ctx, "modname_from_path", args, &p) && basename_of(ctx, p, &base) &&
           splitext_of(ctx, base, out, &ext);
}

static bool g_repr(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *args, tpl_value *out) {
    if (args->n_kw) return tpl_fail(ctx, TPL_E_TYPE, "repr() takes no keyword arguments");
    if (args->n_pos != 1)
        return tpl_fail(ctx, TPL_E_TYPE, "repr() takes exactly one argument (%zu given)", args->n_pos);
    return tpl_repr(ctx, args->pos[0], out);
}

/* ---- directories ---- */

/* os.path.expanduser("~" + rest) */
static bool home_join(tpl_ctx *ctx, const char *rest, tpl_value *out) {
    const char *home = getenv("HOME");
    if (home == NULL) {
        struct passwd *pw = getpwuid(getuid());
        home = pw && pw->pw_dir ? pw->pw_dir : "/";
    }
    tpl_buf b = {0};
    size_t n = strlen(home);
    while (n > 0 && home[n - 1] == '/') n--;
    if (!tpl_buf_put(ctx, &b, home, n)) return false;
    if (b.len == 0 && !tpl_buf_putc(ctx, &b, '/')) return false;
    if (!tpl_buf_puts(ctx, &b, rest)) return false;
    return tpl_buf_to_str(ctx, &b, out);
}

static bool g_user_home_dir(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *args, tpl_value *out) {
    if (args->n_pos || args->n_kw) return tpl_fail(ctx, TPL_E_TYPE, "user_home_dir() takes 0 positional arguments");
    return home_join(ctx, "", out);
}

typedef enum dir_kind { USER_DATA, USER_CACHE, USER_CONFIG, SITE_DATA, SITE_CONFIG } dir_kind;

/* platformdirs' _append_app_name_and_version */
static bool append_app(tpl_ctx *ctx, tpl_buf *b, const char *base, size_t n, tpl_value app, tpl_value version) {
    tpl_buf p = {0};
    if (!tpl_buf_put(ctx, &p, base, n)) return false;
    bool has_app = false;
    if (app.kind != TPL_NONE && !tpl_truthy(ctx, app, &has_app)) return false;
    if (has_app) {
        if (!path_arg(ctx, "join", app) || !join_into(ctx, &p, app.u.s->data, app.u.s->len)) return false;
        bool has_version = false;
        if (version.kind != TPL_NONE && !tpl_truthy(ctx, version, &has_version)) return false;
        if (has_version &&
            (!path_arg(ctx, "join", version) || !join_into(ctx, &p, version.u.s->data, version.u.s->len)))
            return false;
    }
    return tpl_buf_put(ctx, b, p.data, p.len);
}

static bool platform_dir(tpl_ctx *ctx, const tpl_args *args, dir_kind kind, tpl_value *out) {
    static const char *const names[] = {"user_data_dir", "user_cache_dir", "user_config_dir", "site_data_dir",
                                        "site_config_dir"};
    const char *fourth = kind == USER_CACHE ? "opinion" : kind >= SITE_DATA ? "multipath" : "roaming";
    tpl_value v[5];
    bool p[5], multipath = false;
    if (!tpl_bind_args(ctx, names[kind], args, TPL_NAMES("appname", "appauthor", "version", fourth, "ensure_exists"),
                       v, p))
        return false;
    tpl_value app = p[0] ? v[0] : tpl_none(), version = p[2] ? v[2] : tpl_none();
    if (kind >= SITE_DATA && !tpl_arg_bool(ctx, v[3], p[3], false, &multipath)) return false;
    static const char *const env[] = {"XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_DIRS",
                                      "XDG_CONFIG_DIRS"};
    static const char *const dflt[] = {"/.local/share", "/.cache", "/.config", "/usr/local/share:/usr/share",
                                       "/etc/xdg"};
    const char *e = getenv(env[kind]);
    bool blank = true;
    for (const char *c = e; c && *c; c++)
        if (*c != ' ' && *c != '\t' && *c != '\n' && *c != '\r' && *c != '\v' && *c != '\f') blank = false;
    tpl_value base;
    if (!blank) {
        if (!tpl_str_cstr(ctx, e, &base)) return false;
    } else if (kind < SITE_DATA) {
        if (!home_join(ctx, dflt[kind], &base)) return false;
    } else if (!tpl_str_cstr(ctx, dflt[kind], &base)) {
        return false;
    }
    tpl_buf b = {0};
    if (!tpl_buf_put(ctx, &b, "", 0)) return false;
    if (kind < SITE_DATA) {
        if (!append_app(ctx, &b, base.u.s->data, base.u.s->len, app, version)) return false;
        return tpl_buf_to_str(ctx, &b, out);
    }
    /* site dirs: a ':'-separated list; only the first entry unless multipath */
    const char *s = base.u.s->data;
    size_t n = base.u.s->len, i = 0;
    bool first = true;
    while (i <= n) {
        size_t j = i;
        while (j < n && s[j] != ':') j++;
        if (!first && !tpl_buf_putc(ctx, &b, ':')) return false;
        tpl_value entry = {0};
        if (j > i && s[i] == '~') {
            char rest[1024];
            snprintf(rest, sizeof rest, "%.*s", (int)(j - i - 1), s + i + 1);
            if (!home_join(ctx, rest, &entry)) return false;
        } else if (!tpl_str_new(ctx, s + i, j - i, &entry)) {
            return false;
        }
        if (!append_app(ctx, &b, entry.u.s->data, entry.u.s->len, app, version)) return false;
        first = false;
        if (!multipath) break;
        i = j + 1;
    }
    return tpl_buf_to_str(ctx, &b, out);
}

#define DIR_FN(name, kind)                                                                  \
    static bool g_##name(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *a, tpl_value *out) { \
        return platform_dir(ctx, a, kind, out);                                            \
    }
DIR_FN(user_data_dir, USER_DATA)
DIR_FN(user_cache_dir, USER_CACHE)
DIR_FN(user_config_dir, USER_CONFIG)
DIR_FN(site_data_dir, SITE_DATA)
DIR_FN(site_config_dir, SITE_CONFIG)

/* user_config_dir("forgather", getpass.getuser()): the author is ignored on Unix */
static bool g_forgather_config_dir(tpl_ctx *ctx, void *d, tpl_value self, const tpl_args *args, tpl_value *out) {
    if (args->n_pos || args->n_kw)
        return tpl_fail(ctx, TPL_E_TYPE, "forgather_config_dir() takes 0 positional arguments");
    tpl_value app;
    if (!tpl_str_cstr(ctx, "forgather", &app)) return false;
    tpl_args a = {.pos = &app, .n_pos = 1};
    return platform_dir(ctx, &a, USER_CONFIG, out);
}

bool tpl_globals_install_fg(tpl_ctx *ctx, tpl_dict *globals) {
    static const struct {
        const char *name;
        tpl_native_fn fn;
    } fns[] = {
        {"isotime", g_isotime},
        {"utcisotime", g_utcisotime},
        {"filetime", g_filetime},
        {"utcfiletime", g_utcfiletime},
        {"now", g_now},
        {"utcnow", g_utcnow},
        {"joinpath", g_joinpath},
        {"normpath", g_normpath},
        {"abspath", g_abspath},
        {"relpath", g_relpath},
        {"dirname", g_dirname},
        {"basename", g_basename},
        {"splitext", g_splitext},
        {"repr", g_repr},
        {"modname_from_path", g_modname_from_path},
        {"user_home_dir", g_user_home_dir},
        {"getcwd", g_getcwd},
        {"forgather_config_dir", g_forgather_config_dir},
        {"user_data_dir", g_user_data_dir},
        {"user_cache_dir", g_user_cache_dir},
        {"user_config_dir", g_user_config_dir},
        {"site_data_dir", g_site_data_dir},
        {"site_config_dir", g_site_config_dir},
    };
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
        tpl_value f;
        if (!tpl_callable_new(ctx, fns[i].name, fns[i].fn, NULL, tpl_none(), &f) ||
            !tpl_dict_set_str(ctx, globals, fns[i].name, f))
            return false;
    }
    return true;
}
