/* Template sources: Forgather's source preprocessor (spec A.2) and the template loader.
 *
 * A template file goes through three rewrites before the Jinja lexer sees it:
 *   1. the loader splits it at sub-template markers (`#---- name ----` lines),
 *   2. every line is rewritten: `##` comments go, line statements (`-- S`, `<< S`, `>> S`,
 *      `== E`, `=> E`) become Jinja tags,
 *   3. TOML-style headers (`[name]`, `[name!]`) become `{% block %}` ... `{% endblock %}`.
 * The result keeps a line map back to the user's file, so errors can point there.
 *
 * Characters are classified as Python's `re` does for str patterns, on UTF-8 text: `\s`
 * is Unicode whitespace (ASCII, \x1c-\x1f, U+0085, U+00A0, U+2000-U+200A, ...), `\w` is
 * Unicode letters, digits and `_` (Python 3.11's tables). Indentation counts characters. */
#ifndef FG_CORE_TPL_SOURCE_H
#define FG_CORE_TPL_SOURCE_H

#include <forgather/fg_abi.h>
#include <stdbool.h>
#include <stddef.h>

/* One preprocessed template. */
typedef struct tpl_source {
    char *name;      /* template name as looked up ("configs/a.yaml", a sub-template name,
                      * or the path given to tpl_loader_get_file) */
    char *path;      /* file it was read from (for a sub-template: its host file; for a
                      * string added with tpl_loader_add_string: the name) */
    char *text;      /* preprocessed, NUL-terminated (NUL bytes of the input are kept, so
                      * use len); newlines are "\n"; one trailing newline was removed, as
                      * Jinja does with keep_trailing_newline=False */
    size_t len;
    int *line_map;   /* line_map[i]: 1-based source line of output line i+1 */
    size_t n_lines;  /* lines of text: its count of '\n' plus one */
} tpl_source;

/* ---- Preprocessing (A.2 steps 2 and 3) -------------------------------------------- */

/* Rewrites one template's raw text (any bytes; \n, \r\n and \r end lines). first_line is
 * the 1-based line of raw[0] in its file (sub-templates start inside their host file).
 * Fills out->text, len, line_map, n_lines; name and path are left NULL. On failure
 * (out of memory, more than INT_MAX lines) out is left empty. */
fg_status tpl_preprocess(const char *raw, size_t len, int first_line, tpl_source *out,
                         fg_error *err);

/* Frees what a tpl_source holds (not the struct itself) and zeroes it. */
void tpl_source_clear(tpl_source *src);

/* Byte length of the UTF-8 character at p if Python's `\s` (resp. `\w`) matches it,
 * else 0 (also for bytes that are not well-formed UTF-8). */
size_t tpl_py_space_len(const unsigned char *p, const unsigned char *end);
size_t tpl_py_word_len(const unsigned char *p, const unsigned char *end);

/* ---- Sub-template split (A.2 step 1) ---------------------------------------------- */

/* A piece of a file: the file's own template (chunk 0, name NULL) or a sub-template.
 * Pointers point into the text that was split. */
typedef struct tpl_chunk {
    const char *name;  /* marker text, not NUL-terminated; NULL for chunk 0 */
    size_t name_len;
    const char *text;
    size_t len;
    int first_line;    /* 1-based line of text[0] in the file */
} tpl_chunk;

/* Splits raw file text on the regex `\n#\s*-{3,}\s*([\w./]+)\s*-{3,}\n` (the newlines
 * before and after a marker belong to the marker). *chunks (free() it) gets at least one
 * entry. Fails only when out of memory or the file has more than INT_MAX lines. */
fg_status tpl_split_subtemplates(const char *raw, size_t len, tpl_chunk **chunks,
                                 size_t *n_chunks, fg_error *err);

/* ---- Loader ------------------------------------------------------------------------ */

/* An ordered search path of directories plus templates held in memory (sub-templates of
 * loaded files, strings added by the caller). Lookup of a name: a template already loaded
 * under that name (cached: the same name always gives the same source), else one held in
 * memory, else the first search directory holding the file. Loading a file (or an added
 * string) registers its sub-templates in memory, replacing earlier ones of the same name;
 * they shadow files of the same name from then on. */
typedef struct tpl_loader tpl_loader;

fg_status tpl_loader_new(tpl_loader **out, fg_error *err);
void tpl_loader_free(tpl_loader *loader);

/* Appends a search directory. One that does not exist (or is not a directory) is
 * silently left out, as Forgather does. */
fg_status tpl_loader_add_dir(tpl_loader *loader, const char *dir, fg_error *err);
/* The search path as kept (dropped directories are not in it). */
size_t tpl_loader_n_dirs(const tpl_loader *loader);
const char *tpl_loader_dir(const tpl_loader *loader, size_t i);

/* Looks a template up by name ("/"-separated, relative to a search directory; empty and
 * "." components are ignored for files). A name with a ".." component or a leading "/"
 * never reaches the file system (FG_E_NOT_FOUND, as is a missing template; the message
 * lists the search path). Invalid UTF-8 in a file is FG_E_PARSE ("FILE:LINE:COL: ...").
 * *out stays owned by the loader until tpl_loader_free. */
fg_status tpl_loader_get(tpl_loader *loader, const char *name, const tpl_source **out,
                         fg_error *err);

/* Loads a file by file-system path (outside the search path too; `fgrun pp FILE`). Its
 * source is named by the path; its sub-templates are registered as for any file. */
fg_status tpl_loader_get_file(tpl_loader *loader, const char *path, const tpl_source **out,
                              fg_error *err);

/* Holds text in memory as a template file named `name` (copied; may contain NUL bytes;
 * must be valid UTF-8). It shadows a file of that name; its sub-templates are registered
 * when it is first loaded. Replaces an earlier string of that name not yet loaded. */
fg_status tpl_loader_add_string(tpl_loader *loader, const char *name, const char *text,
                                size_t len, fg_error *err);

/* One template file found by tpl_loader_list. */
typedef struct tpl_listed {
    const char *name;    /* relative to its search directory, "/"-separated */
    const char *dir;     /* the search directory */
    size_t dir_index;    /* its position in the search path */
    bool shadowed;       /* an earlier search directory holds the same name */
} tpl_listed;

/* Called once per file; a status other than FG_OK stops the listing and is returned. */
typedef fg_status (*tpl_list_fn)(void *user, const tpl_listed *entry, fg_error *err);

/* Enumerates every *.yaml and *.jinja file under each search directory (directories
 * whose name starts with "." are skipped; symlinks are followed, but never back into a
 * directory being walked), directory by directory in search-path order, names sorted
 * bytewise in each. */
fg_status tpl_loader_list(const tpl_loader *loader, tpl_list_fn fn, void *user,
                          fg_error *err);

#endif
