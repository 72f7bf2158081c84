/* Forgather's source preprocessor (spec A.2) and the template loader: every rewrite rule
 * with the exact text it must produce (the same rules, written independently in Python,
 * drive tests/template/reference.py, whose Jinja2 renders fix the conformance corpus),
 * the line map back to the source, the sub-template split, search order, shadowing,
 * the name sandbox, error cases, and inputs that must not crash or crawl. */
#define _POSIX_C_SOURCE 200809L

#include "template/tpl_source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fg_test.h"
#include "util/error.h"

/* ---- preprocessing ------------------------------------------------------------------ */

/* Preprocesses src (first line 1) and compares with want; returns the source for more
 * checks (caller clears it). */
static tpl_source pp_len(const char *src, size_t len, const char *want, size_t want_len,
                         int line) {
    tpl_source out;
    fg_error err = {0};
    fg_status st = tpl_preprocess(src, len, 1, &out, &err);
    CHECK_MSG(st == FG_OK, "line %d: %s", line, err.msg);
    if (st != FG_OK) return out;
    int same = out.len == want_len && memcmp(out.text, want, want_len) == 0;
    CHECK_MSG(same, "line %d: got [%s] want [%s]", line, out.text, want);
    CHECK_MSG(out.text[out.len] == '\0', "line %d: not NUL-terminated", line);
    size_t newlines = 0;
    for (size_t i = 0; i < out.len; i++) newlines += out.text[i] == '\n';
    CHECK_MSG(out.n_lines == newlines + 1, "line %d: n_lines %zu for %zu newlines", line,
              out.n_lines, newlines);
    return out;
}

#define PP(src, want) pp_len(src, strlen(src), want, strlen(want), __LINE__)
#define EXPECT(src, want)                                                                  \
    do {                                                                                   \
        tpl_source s_ = PP(src, want);                                                     \
        tpl_source_clear(&s_);                                                             \
    } while (0)

static void check_map(const tpl_source *s, const int *want, size_t n, int line) {
    CHECK_MSG(s->n_lines == n, "line %d: %zu lines, want %zu", line, s->n_lines, n);
    for (size_t i = 0; i < n && i < s->n_lines; i++)
        CHECK_MSG(s->line_map[i] == want[i], "line %d: output line %zu maps to %d, want %d", line,
                  i + 1, s->line_map[i], want[i]);
}
#define MAP(s, ...)                                                                        \
    do {                                                                                   \
        static const int w_[] = {__VA_ARGS__};                                             \
        check_map(&(s), w_, sizeof w_ / sizeof w_[0], __LINE__);                           \
    } while (0)

static void test_comments(void) {
    tpl_source s = PP("a\n## whole line\n   ##x\n\t##\nb\n", "a\nb");
    MAP(s, 1, 5);
    tpl_source_clear(&s);
    EXPECT("b: 2   ## x\n", "b: 2  ");          /* one whitespace char goes */
    EXPECT("c: x ## y ## z\n", "c: x ## y");     /* cut at the LAST " ##" */
    EXPECT("url##x\n", "url##x");                /* no whitespace: untouched */
    EXPECT("a #b\n", "a #b");                    /* one '#' is not a comment */
    EXPECT("a ### b\n", "a");
    EXPECT("a\t##\n", "a");
    EXPECT("a #### b ##\n", "a #### b");
    EXPECT("s: \"x ## y\"\n", "s: \"x");         /* inside YAML strings too */
    EXPECT("##\n", "");
    EXPECT("## a\n## b", "");
    EXPECT(" #\n", " #");
}

static void test_line_statements(void) {
    EXPECT("-- set x = 1\n", "{% set x = 1 %}");
    EXPECT("<< endif\n", "{%- endif %}");
    EXPECT(">> if a\n", "{% if a -%}");
    EXPECT("== x\n", "{{ x }}");
    EXPECT("=> x\n", "{{ x|trim('\\n')}}");
    EXPECT("    -- if a\n", "{% if a %}");             /* indentation dropped */
    EXPECT("--  two\n", "{%  two %}");                 /* exactly one separator eaten */
    EXPECT("--\tx\n", "{% x %}");
    EXPECT("-- \n", "{%  %}");
    EXPECT("-- set a = 1 ## note\n", "{% set a = 1 %}");
    EXPECT("-- set a = 1  ## note\n", "{% set a = 1  %}");
    EXPECT("== x ## y ## z\n", "{{ x ## y }}");
    /* not statements */
    EXPECT("---\n", "---");
    EXPECT("--x\n", "--x");
    EXPECT("==y\n", "==y");
    EXPECT("<<: *anchor\n", "<<: *anchor");
    EXPECT("--\n", "--");
    EXPECT("==\n", "==");
    EXPECT("a -- b\n", "a -- b");
    EXPECT("- -- x\n", "- -- x");
    EXPECT("=< x\n", "=< x");
    /* Python's \s: \v, \f, \x1c-\x1f and Unicode spaces count as whitespace */
    EXPECT("\v-- x\n", "{% x %}");
    EXPECT("\x1f--\x1cx\n", "{% x %}");
    EXPECT("\xc2\xa0== y\n", "{{ y }}");
    EXPECT("--\xe3\x80\x80z\n", "{% z %}");
    EXPECT("a\xe2\x80\x83## c\n", "a");
    EXPECT("\xe2\x80\xa8## c\nb", "b");
    EXPECT("\xc2\xa1-- x\n", "\xc2\xa1-- x");          /* U+00A1 is not whitespace */
    EXPECT("\xef\xbb\xbf-- x\n", "\xef\xbb\xbf-- x");  /* nor is a byte-order mark */
}

static void test_newlines(void) {
    tpl_source s = PP("a\r\nb\rc\n\nd\r\n", "a\nb\nc\n\nd");
    MAP(s, 1, 2, 3, 4, 5);
    tpl_source_clear(&s);
    s = PP("", "");
    MAP(s, 1);
    tpl_source_clear(&s);
    s = PP("\n", "");
    MAP(s, 1);
    tpl_source_clear(&s);
    s = PP("x\n\n", "x\n");                      /* only ONE trailing newline goes */
    MAP(s, 1, 2);
    tpl_source_clear(&s);
    s = PP("x\r\n\r\n", "x\n");
    tpl_source_clear(&s);
    s = PP("x\r", "x");
    tpl_source_clear(&s);
    /* NUL bytes are ordinary characters */
    s = pp_len("a\0b\n-- x\0\n", 10, "a\0b\n{% x\0 %}", 12, __LINE__);
    tpl_source_clear(&s);
}

static void test_toml_blocks(void) {
    EXPECT("[a]\nx: 1\n[b]\ny: 2\n",
           "{% block a %}\nx: 1{{'\\n'}}{% endblock a +%}\n{% block b %}\ny: 2\n{% endblock b +%}");
    /* no final newline: the printed newline gives the block its last one */
    EXPECT("[a]\nx: 1", "{% block a %}\nx: 1{{'\\n'}}{% endblock a +%}");
    EXPECT("[a!]\nx\n", "{% filter trim %}{% block a %}\nx\n{% endblock a +%}{% endfilter %}");
    EXPECT("[a!!]\nx", "{% filter trim %}{% block a %}\nx{{'\\n'}}{% endblock a +%}{% endfilter %}");
    /* a blank line before the next header takes the closing text */
    EXPECT("[a]\nx\n\n[b]\n", "{% block a %}\nx\n{% endblock a +%}\n{% block b %}\n{% endblock b +%}");
    /* deeper headers nest; content indentation is irrelevant; closing two blocks at once
     * prints a newline for each */
    EXPECT("[outer]\na\n  [inner]\nb\n[next]\nc",
           "{% block outer %}\na\n{% block inner %}\n"
           "b{{'\\n'}}{% endblock inner +%}{{'\\n'}}{% endblock outer +%}\n"
           "{% block next %}\nc{{'\\n'}}{% endblock next +%}");
    /* equal indentation closes */
    EXPECT("  [a]\n  [b]\n",
           "{% block a %}{{'\\n'}}{% endblock a +%}\n{% block b %}\n{% endblock b +%}");
    /* shallower header closes all deeper ones, in order */
    EXPECT("[a]\n [b]\n  [c]\nx\n [d]\n",
           "{% block a %}\n{% block b %}\n{% block c %}\n"
           "x{{'\\n'}}{% endblock c +%}{{'\\n'}}{% endblock b +%}\n{% block d %}\n"
           "{% endblock d +%}{{'\\n'}}{% endblock a +%}");
    /* the header match sees the line after comment cutting */
    EXPECT("[a]   ## the a block\nx\n", "{% block a %}\nx\n{% endblock a +%}");
    EXPECT("\t[a] \t\nx\n", "{% block a %}\nx\n{% endblock a +%}");
    /* not headers */
    EXPECT("[a b]\n[]\n[!]\nx [a]\n[a]x\n- [a]\n[a-b]\n[[a]]\n[a!b]\n",
           "[a b]\n[]\n[!]\nx [a]\n[a]x\n- [a]\n[a-b]\n[[a]]\n[a!b]");
    /* a header with Unicode indentation: indentation counts characters */
    EXPECT("\xe3\x80\x80[a]\n [b]\n",
           "{% block a %}{{'\\n'}}{% endblock a +%}\n{% block b %}\n{% endblock b +%}");
    /* block names are Python's \w: Unicode letters and digits too, not punctuation */
    EXPECT("[caf\xc3\xa9]\n", "{% block caf\xc3\xa9 %}\n{% endblock caf\xc3\xa9 +%}");
    EXPECT("[\xf0\x9d\x92\x9c\xd9\xa1]\n", "{% block \xf0\x9d\x92\x9c\xd9\xa1 %}\n{% endblock \xf0\x9d\x92\x9c\xd9\xa1 +%}");
    EXPECT("[a\xe2\x80\x94]\n[\xc3]\n", "[a\xe2\x80\x94]\n[\xc3]");
    tpl_source s = PP("## c\n[a]\nx\n", "{% block a %}\nx\n{% endblock a +%}");
    MAP(s, 2, 3, 4);
    tpl_source_clear(&s);
}

static void test_char_classes(void) {
    static const struct {
        const char *bytes;
        size_t space, word;
    } chars[] = {
        {" ", 1, 0},         {"\t", 1, 0},        {"\x1c", 1, 0},      {"\x1b", 0, 0},
        {"a", 0, 1},         {"_", 0, 1},         {"7", 0, 1},         {"-", 0, 0},
        {"\xc2\x85", 2, 0},  {"\xc2\xa0", 2, 0},  {"\xc2\xaa", 0, 2},  {"\xc3\x97", 0, 0},
        {"\xc3\xa9", 0, 2},  {"\xe1\x9a\x80", 3, 0}, {"\xe2\x80\x8a", 3, 0}, {"\xe2\x80\x8b", 0, 0},
        {"\xe2\x80\xaf", 3, 0}, {"\xe2\x81\x9f", 3, 0}, {"\xe3\x80\x80", 3, 0}, {"\xe2\x80\x94", 0, 0},
        {"\xe5\x90\x8d", 0, 3}, {"\xd9\xa1", 0, 2},  {"\xf0\x9d\x92\x9c", 0, 4}, {"\xef\xbb\xbf", 0, 0},
        {"\xc3", 0, 0},      {"\xe0\x80\xaa", 0, 0}, {"\xed\xa0\x80", 0, 0}, {"\xf4\x90\x80\x80", 0, 0},
    };
    for (size_t i = 0; i < sizeof chars / sizeof chars[0]; i++) {
        const unsigned char *p = (const unsigned char *)chars[i].bytes, *e = p + strlen(chars[i].bytes);
        CHECK_MSG(tpl_py_space_len(p, e) == chars[i].space, "\\s on char %zu", i);
        CHECK_MSG(tpl_py_word_len(p, e) == chars[i].word, "\\w on char %zu", i);
        CHECK(tpl_py_space_len(p, p) == 0 && tpl_py_word_len(p, p) == 0);
    }
}

static void test_line_map(void) {
    tpl_source s;
    fg_error err = {0};
    CHECK(tpl_preprocess("x\n## c\n-- if a\ny\n", 17, 10, &s, &err) == FG_OK);
    CHECK(strcmp(s.text, "x\n{% if a %}\ny") == 0);
    MAP(s, 10, 12, 13);
    tpl_source_clear(&s);
    CHECK(s.text == NULL && s.line_map == NULL);
    tpl_source_clear(NULL);
    CHECK(tpl_preprocess(NULL, 0, 1, &s, &err) == FG_OK && s.len == 0 && s.n_lines == 1);
    tpl_source_clear(&s);
}

/* ---- sub-template split --------------------------------------------------------------- */

static void check_chunk(const tpl_chunk *c, const char *name, const char *text, int first_line,
                        int line) {
    int name_ok = name ? c->name && c->name_len == strlen(name) && memcmp(c->name, name, c->name_len) == 0
                       : c->name == NULL;
    CHECK_MSG(name_ok, "line %d: chunk name %.*s, want %s", line, (int)c->name_len,
              c->name ? c->name : "(null)", name ? name : "(null)");
    CHECK_MSG(c->len == strlen(text) && memcmp(c->text, text, c->len) == 0,
              "line %d: chunk text [%.*s], want [%s]", line, (int)c->len, c->text, text);
    CHECK_MSG(c->first_line == first_line, "line %d: first line %d, want %d", line,
              c->first_line, first_line);
}

static size_t split(const char *text, tpl_chunk **chunks) {
    size_t n = 0;
    fg_error err = {0};
    CHECK(tpl_split_subtemplates(text, strlen(text), chunks, &n, &err) == FG_OK);
    return n;
}

static void test_split(void) {
    tpl_chunk *c;
    size_t n = split("main\n#---- sub ----\nbody\n#-------------------- project.trainer_config "
                     "--------------------\nx/y\n", &c);
    CHECK(n == 3);
    if (n == 3) {
        check_chunk(&c[0], NULL, "main", 1, __LINE__);
        check_chunk(&c[1], "sub", "body", 3, __LINE__);
        check_chunk(&c[2], "project.trainer_config", "x/y\n", 5, __LINE__);
    }
    free(c);
    /* a marker needs a newline before it: not on the first line */
    n = split("#--- a ---\nx", &c);
    CHECK(n == 1);
    free(c);
    /* consecutive markers: the first one ate the newline the second one needs */
    n = split("m\n#--- a ---\n#--- b ---\nx", &c);
    CHECK(n == 2);
    if (n == 2) check_chunk(&c[1], "a", "#--- b ---\nx", 3, __LINE__);
    free(c);
    /* a blank line between markers makes two */
    n = split("m\n#--- a ---\n\n#--- b ---\nx", &c);
    CHECK(n == 3);
    if (n == 3) {
        check_chunk(&c[1], "a", "", 3, __LINE__);
        check_chunk(&c[2], "b", "x", 5, __LINE__);
    }
    free(c);
    /* \s* may cross lines; three dashes minimum; the marker needs its closing "\n" */
    n = split("m\n#---\n  a\n---\nx", &c);
    CHECK(n == 2);
    if (n == 2) check_chunk(&c[1], "a", "x", 5, __LINE__);
    free(c);
    CHECK(split("m\n#-- a --\nx", &c) == 1);
    free(c);
    CHECK(split("m\n#--- a ---", &c) == 1);
    free(c);
    CHECK(split("m\r\n#--- a ---\r\nx", &c) == 1);
    free(c);
    CHECK(split("m\n#--- a-b ---\nx", &c) == 1);
    free(c);
    CHECK(split("m\n #--- a ---\nx", &c) == 1);
    free(c);
    CHECK(split("m\n##--- a ---\nx", &c) == 1);
    free(c);
    /* CRLF before the marker counts as one line break */
    n = split("m\r\n\r\n#--- a ---\nx", &c);
    CHECK(n == 2);
    if (n == 2) {
        check_chunk(&c[0], NULL, "m\r\n\r", 1, __LINE__);
        check_chunk(&c[1], "a", "x", 4, __LINE__);
    }
    free(c);
    n = split("", &c);
    CHECK(n == 1 && c[0].len == 0);
    free(c);
    n = split("m\n#--- \xe5\x90\x8d.x ---\ny", &c); /* names are [\w./]+ with Unicode \w */
    CHECK(n == 2);
    if (n == 2) check_chunk(&c[1], "\xe5\x90\x8d.x", "y", 3, __LINE__);
    free(c);
    CHECK(split("m\n#--- a\xe2\x80\x94" "b ---\ny", &c) == 1);
    free(c);
}

/* ---- loader ------------------------------------------------------------------------- */

static char tmp_root[] = "/tmp/fg_tpl_test_XXXXXX";

static void write_file(const char *rel, const char *text) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", tmp_root, rel);
    for (char *p = path + strlen(tmp_root) + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        mkdir(path, 0755);
        *p = '/';
    }
    FILE *f = fopen(path, "wb");
    CHECK_MSG(f != NULL, "cannot write %s", path);
    if (f == NULL) return;
    fputs(text, f);
    fclose(f);
}

static const char *dir_path(const char *rel) {
    static char buf[4][512];
    static int next;
    char *b = buf[next++ % 4];
    snprintf(b, 512, "%s/%s", tmp_root, rel);
    return b;
}

static const tpl_source *get_ok(tpl_loader *l, const char *name, const char *want, int line) {
    const tpl_source *s = NULL;
    fg_error err = {0};
    fg_status st = tpl_loader_get(l, name, &s, &err);
    CHECK_MSG(st == FG_OK, "line %d: get %s: %s", line, name, err.msg);
    if (st != FG_OK) return NULL;
    CHECK_MSG(strcmp(s->text, want) == 0, "line %d: %s is [%s], want [%s]", line, name, s->text,
              want);
    CHECK_MSG(strcmp(s->name, name) == 0, "line %d: name %s", line, s->name);
    return s;
}
#define GET_OK(l, name, want) get_ok(l, name, want, __LINE__)

static fg_status get_err(tpl_loader *l, const char *name, fg_error *err) {
    const tpl_source *s = NULL;
    fg_status st = tpl_loader_get(l, name, &s, err);
    CHECK(st != FG_OK && err->code == st && err->msg[0] != '\0');
    return st;
}

typedef struct listing {
    char text[2048];
} listing;

static fg_status collect(void *user, const tpl_listed *e, fg_error *err) {
    listing *l = user;
    size_t n = strlen(l->text);
    snprintf(l->text + n, sizeof l->text - n, "%zu:%s%s\n", e->dir_index, e->name,
             e->shadowed ? " (shadowed)" : "");
    return FG_OK;
}

static fg_status stop_early(void *user, const tpl_listed *e, fg_error *err) {
    (*(int *)user)++;
    return fg_error_set(err, FG_E_INTERRUPTED, "stop");
}

static void test_loader(void) {
    if (mkdtemp(tmp_root) == NULL) {
        CHECK_MSG(0, "mkdtemp failed");
        return;
    }
    write_file("d1/a.yaml", "A1\n");
    write_file("d2/a.yaml", "A2\n");
    write_file("d2/b.yaml", "B2\n");
    write_file("d2/sub/c.yaml", "-- set c = 1\nC\n");
    write_file("d2/sub/m.jinja", "M\n");
    write_file("d2/notes.txt", "not a template\n");
    write_file("d2/.hidden/h.yaml", "H\n");
    write_file("d1/host.yaml", "host\n## comment\n#--- b.yaml ---\nsub b\n#--- inner ---\n"
                               "== 1\n#--- a.yaml ---\nnot used\n");
    write_file("d1/bad.yaml", "ok\nab\xff\n");
    write_file("d1/selfsub.yaml", "x\n#--- selfsub.yaml ---\ny\n");
    mkdir(dir_path("d1/dir.yaml"), 0755); /* a directory with a template's name */

    tpl_loader *l = NULL;
    fg_error err = {0};
    CHECK(tpl_loader_new(&l, &err) == FG_OK);
    if (l == NULL) return;
    CHECK(tpl_loader_add_dir(l, dir_path("d1"), &err) == FG_OK);
    CHECK(tpl_loader_add_dir(l, dir_path("missing"), &err) == FG_OK); /* dropped */
    CHECK(tpl_loader_add_dir(l, dir_path("d1/a.yaml"), &err) == FG_OK); /* not a dir: dropped */
    char d2_slash[520];
    snprintf(d2_slash, sizeof d2_slash, "%s/", dir_path("d2"));
    CHECK(tpl_loader_add_dir(l, d2_slash, &err) == FG_OK);
    CHECK(tpl_loader_n_dirs(l) == 2);
    CHECK(strcmp(tpl_loader_dir(l, 1), dir_path("d2")) == 0);
    CHECK(tpl_loader_dir(l, 2) == NULL);

    /* search order: the first directory wins; the cache gives the same source */
    const tpl_source *a = GET_OK(l, "a.yaml", "A1");
    if (a) CHECK(strcmp(a->path, dir_path("d1/a.yaml")) == 0);
    const tpl_source *a2 = NULL;
    CHECK(tpl_loader_get(l, "a.yaml", &a2, &err) == FG_OK && a2 == a);
    const tpl_source *c = GET_OK(l, "sub/c.yaml", "{% set c = 1 %}\nC");
    if (c) CHECK(strcmp(c->path, dir_path("d2/sub/c.yaml")) == 0);
    GET_OK(l, "./sub//c.yaml", "{% set c = 1 %}\nC"); /* "." and empty components ignored */
    GET_OK(l, "sub/m.jinja", "M");

    /* sub-templates resolve only once their host is loaded; then they shadow files; the
     * cache keeps a.yaml as it was first loaded */
    CHECK(get_err(l, "inner", &err) == FG_E_NOT_FOUND);
    const tpl_source *host = GET_OK(l, "host.yaml", "host");
    const tpl_source *inner = GET_OK(l, "inner", "{{ 1 }}");
    if (inner) {
        CHECK(strcmp(inner->path, dir_path("d1/host.yaml")) == 0);
        CHECK(inner->n_lines == 1 && inner->line_map[0] == 6);
    }
    const tpl_source *b = GET_OK(l, "b.yaml", "sub b");
    if (b && host) CHECK(strcmp(b->path, host->path) == 0 && b->line_map[0] == 4);
    GET_OK(l, "a.yaml", "A1");

    /* a file whose sub-template has its own name: the file's template is what loads */
    GET_OK(l, "selfsub.yaml", "x");

    /* errors: missing (message lists the search path), sandbox, directories, bad UTF-8 */
    CHECK(get_err(l, "nope.yaml", &err) == FG_E_NOT_FOUND);
    CHECK_MSG(strstr(err.msg, "nope.yaml") && strstr(err.msg, dir_path("d1")) &&
                  strstr(err.msg, dir_path("d2")),
              "%s", err.msg);
    CHECK(get_err(l, "../d1/a.yaml", &err) == FG_E_NOT_FOUND);
    CHECK(strstr(err.msg, "..") != NULL);
    CHECK(get_err(l, "sub/../a.yaml", &err) == FG_E_NOT_FOUND);
    CHECK(get_err(l, "/a.yaml", &err) == FG_E_NOT_FOUND);
    CHECK(get_err(l, "dir.yaml", &err) == FG_E_NOT_FOUND);
    CHECK(get_err(l, "", &err) == FG_E_NOT_FOUND);
    CHECK(get_err(l, "bad.yaml", &err) == FG_E_PARSE);
    CHECK_MSG(strstr(err.msg, "bad.yaml:2:3: ") != NULL, "%s", err.msg);
    CHECK(get_err(l, "..a.yaml", &err) == FG_E_NOT_FOUND); /* a plain name, just missing */
    CHECK(strstr(err.msg, "not allowed") == NULL);

    /* strings held in memory: shadow files, split when loaded, bad UTF-8 refused */
    CHECK(tpl_loader_add_string(l, "b2.yaml", "m\n#--- m2 ---\n-- x\n", 18, &err) == FG_OK);
    CHECK(get_err(l, "m2", &err) == FG_E_NOT_FOUND);
    GET_OK(l, "b2.yaml", "m");
    const tpl_source *m2 = GET_OK(l, "m2", "{% x %}");
    if (m2) CHECK(strcmp(m2->path, "b2.yaml") == 0 && m2->line_map[0] == 3);
    CHECK(tpl_loader_add_string(l, "sub/m.jinja", "shadow", 6, &err) == FG_OK);
    GET_OK(l, "sub/m.jinja", "M"); /* already loaded: the cache answers */
    CHECK(tpl_loader_add_string(l, "fresh.yaml", "one", 3, &err) == FG_OK);
    CHECK(tpl_loader_add_string(l, "fresh.yaml", "two", 3, &err) == FG_OK);
    GET_OK(l, "fresh.yaml", "two");
    CHECK(tpl_loader_add_string(l, "bin.yaml", "a\0b", 3, &err) == FG_OK);
    const tpl_source *bin = GET_OK(l, "bin.yaml", "a");
    if (bin) CHECK(bin->len == 3 && memcmp(bin->text, "a\0b", 3) == 0);
    CHECK(tpl_loader_add_string(l, "u.yaml", "\xc3\x28", 2, &err) == FG_E_PARSE);
    CHECK(tpl_loader_add_string(l, "u.yaml", "\xed\xa0\x80", 3, &err) == FG_E_PARSE); /* surrogate */
    CHECK(tpl_loader_add_string(l, "u.yaml", "\xe0\x80\xaf", 3, &err) == FG_E_PARSE); /* overlong */
    CHECK(tpl_loader_add_string(l, "u.yaml", "\xf4\x90\x80\x80", 4, &err) == FG_E_PARSE);
    CHECK(tpl_loader_add_string(l, "u.yaml", "\xf0\x9f\x98\x80 \xe2\x82\xac", 8, &err) == FG_OK);
    CHECK(tpl_loader_add_string(l, "self", "x\n#--- self ---\ny", 16, &err) == FG_OK);
    GET_OK(l, "self", "x");

    /* a file by path: named by the path, its sub-templates registered */
    write_file("outside/main.yaml", "-- extends \"child\"\n#--- child ---\n[blk]\nv\n");
    const tpl_source *f = NULL;
    CHECK(tpl_loader_get_file(l, dir_path("outside/main.yaml"), &f, &err) == FG_OK);
    if (f) {
        CHECK(strcmp(f->text, "{% extends \"child\" %}") == 0);
        CHECK(strcmp(f->name, dir_path("outside/main.yaml")) == 0);
        const tpl_source *f2 = NULL;
        CHECK(tpl_loader_get_file(l, dir_path("outside/main.yaml"), &f2, &err) == FG_OK && f2 == f);
    }
    const tpl_source *child = GET_OK(l, "child", "{% block blk %}\nv\n{% endblock blk +%}");
    if (child) MAP(*child, 3, 4, 5);
    CHECK(tpl_loader_get_file(l, dir_path("outside/none.yaml"), &f, &err) == FG_E_NOT_FOUND);
    CHECK(tpl_loader_get_file(l, dir_path("d1"), &f, &err) != FG_OK);

    /* listing: search-path order, sorted, shadowing, hidden directories and other
     * files left out */
    listing got = {""};
    CHECK(tpl_loader_list(l, collect, &got, &err) == FG_OK);
    const char *want = "0:a.yaml\n0:bad.yaml\n0:host.yaml\n0:selfsub.yaml\n"
                       "1:a.yaml (shadowed)\n1:b.yaml\n1:sub/c.yaml\n1:sub/m.jinja\n";
    CHECK_MSG(strcmp(got.text, want) == 0, "listing:\n%s", got.text);
    int calls = 0;
    CHECK(tpl_loader_list(l, stop_early, &calls, &err) == FG_E_INTERRUPTED && calls == 1);
    /* symlinked directories are followed, except back into a directory being walked */
    char loop_path[600], link_path[600];
    snprintf(loop_path, sizeof loop_path, "%s/loop", dir_path("d2/sub"));
    snprintf(link_path, sizeof link_path, "%s/link", dir_path("d2"));
    if (symlink(dir_path("d2"), loop_path) == 0 && symlink(dir_path("outside"), link_path) == 0) {
        got.text[0] = '\0';
        CHECK(tpl_loader_list(l, collect, &got, &err) == FG_OK);
        CHECK_MSG(strstr(got.text, "1:link/main.yaml\n") != NULL &&
                      strstr(got.text, "sub/loop") == NULL,
                  "listing:\n%s", got.text);
    }
    unlink(loop_path);
    unlink(link_path);
    tpl_loader_free(l);
    tpl_loader_free(NULL);

    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_root);
    CHECK(system(cmd) == 0);
}

/* ---- hostile input ------------------------------------------------------------------ */

static void test_hostile(void) {
    fg_error err = {0};
    tpl_source s;
    /* a huge line of spaces with a comment at its end, a huge line of '#' */
    size_t n = 1u << 22;
    char *big = malloc(n + 8);
    if (big == NULL) return;
    memset(big, ' ', n);
    memcpy(big + n, "## x", 4);
    CHECK(tpl_preprocess(big, n + 4, 1, &s, &err) == FG_OK && s.len == 0);
    tpl_source_clear(&s);
    memset(big, '#', n);
    CHECK(tpl_preprocess(big, n, 1, &s, &err) == FG_OK && s.len == 0);
    tpl_source_clear(&s);
    big[0] = 'x';
    big[1] = ' ';
    CHECK(tpl_preprocess(big, n, 1, &s, &err) == FG_OK && s.len == 1);
    tpl_source_clear(&s);
    /* deep nesting: 3000 headers, each indented one more; all close at the end */
    size_t depth = 3000;
    size_t len = 0, room = 0;
    for (size_t i = 0; i < depth; i++) room += i + 8;
    char *nest = malloc(room + 1);
    if (nest) {
        for (size_t i = 0; i < depth; i++) {
            memset(nest + len, ' ', i);
            len += i;
            memcpy(nest + len, "[b]\n", 4);
            len += 4;
        }
        CHECK(tpl_preprocess(nest, len, 1, &s, &err) == FG_OK);
        CHECK(s.n_lines == depth + 1);
        tpl_source_clear(&s);
        free(nest);
    }
    /* every byte value, markers everywhere */
    for (int b = 0; b < 256; b++) {
        char in[64];
        int k = snprintf(in, sizeof in, "x\n#---%c---\n%c-- %c\n[%c]\n %c## ", b ? b : 'q', b, b, b, b);
        in[k - 1] = (char)b;
        tpl_chunk *chunks;
        size_t nc;
        CHECK(tpl_split_subtemplates(in, (size_t)k, &chunks, &nc, &err) == FG_OK);
        if (nc > 0) free(chunks);
        CHECK(tpl_preprocess(in, (size_t)k, 1, &s, &err) == FG_OK);
        tpl_source_clear(&s);
    }
    /* many sub-templates */
    size_t subs = 100000;
    char *many = malloc(subs * 20 + 8);
    if (many) {
        len = 0;
        memcpy(many, "m", 1);
        len = 1;
        for (size_t i = 0; i < subs; i++) len += (size_t)sprintf(many + len, "\n#--- t%zu ---\nx", i);
        tpl_chunk *chunks = NULL;
        size_t nc = 0;
        CHECK(tpl_split_subtemplates(many, len, &chunks, &nc, &err) == FG_OK && nc == subs + 1);
        if (nc == subs + 1) CHECK(chunks[subs].first_line == (int)(2 * subs + 1));
        free(chunks);
        tpl_loader *l = NULL;
        const tpl_source *src = NULL;
        CHECK(tpl_loader_new(&l, &err) == FG_OK);
        CHECK(tpl_loader_add_string(l, "many", many, len, &err) == FG_OK);
        CHECK(tpl_loader_get(l, "many", &src, &err) == FG_OK);
        CHECK(tpl_loader_get(l, "t99999", &src, &err) == FG_OK && strcmp(src->text, "x") == 0);
        tpl_loader_free(l);
        free(many);
    }
    free(big);
}

int main(void) {
    test_comments();
    test_line_statements();
    test_newlines();
    test_toml_blocks();
    test_char_classes();
    test_line_map();
    test_split();
    test_loader();
    test_hostile();
    return fg_test_finish("test_template_preprocess");
}
