/* Tokens and syntax tree of the Jinja2-compatible template language, and the entry points
 * of the lexer (tpl_lex.c) and parser (tpl_parse*.c). Everything lives in the render's
 * arena (tpl_ctx), so a parsed template is valid for one render. Line numbers in nodes
 * are lines of the user's file (mapped through tpl_source.line_map). */
#ifndef FG_CORE_TPL_AST_H
#define FG_CORE_TPL_AST_H

#include "template/tpl.h"

/* Jinja's exception classes for syntax errors and compile-time checks. */
#define TPL_E_SYNTAX "TemplateSyntaxError"
#define TPL_E_ASSERTION "TemplateAssertionError"

/* ---- tokens ------------------------------------------------------------------------ */

typedef enum tpl_tok {
    TOK_EOF,
    TOK_ERROR, /* a lexing error; the stream ends here. text = message */
    TOK_DATA,  /* template text between tags */
    TOK_VAR_BEGIN,
    TOK_VAR_END,
    TOK_BLOCK_BEGIN,
    TOK_BLOCK_END,
    TOK_NAME,
    TOK_STRING, /* text = decoded value */
    TOK_INTEGER,
    TOK_FLOAT,
    /* operators */
    TOK_ADD, TOK_SUB, TOK_DIV, TOK_FLOORDIV, TOK_MUL, TOK_MOD, TOK_POW, TOK_TILDE,
    TOK_LBRACKET, TOK_RBRACKET, TOK_LPAREN, TOK_RPAREN, TOK_LBRACE, TOK_RBRACE,
    TOK_EQ, TOK_NE, TOK_GT, TOK_GTEQ, TOK_LT, TOK_LTEQ,
    TOK_ASSIGN, TOK_DOT, TOK_COLON, TOK_PIPE, TOK_COMMA, TOK_SEMICOLON,
} tpl_tok;

typedef struct tpl_token {
    tpl_tok type;
    int line;         /* 1-based line in the preprocessed text */
    int col;          /* 1-based, in code points */
    const char *text; /* NAME, DATA: points into the source; STRING: decoded (arena) */
    size_t len;
    int64_t ival;     /* INTEGER */
    double fval;      /* FLOAT */
} tpl_token;

/* Tokenizes preprocessed template text. Lexing errors become a final TOK_ERROR token
 * (Jinja lexes lazily, so an earlier syntax error must win over a later lexing error).
 * Returns false only when out of memory / budget (error recorded in ctx). */
bool tpl_lex(tpl_ctx *ctx, const char *text, size_t len, tpl_token **tokens, size_t *n);

/* Jinja's description of a token type in messages: "end of statement block", "+"... */
const char *tpl_tok_describe(tpl_tok type);

/* ---- syntax tree ------------------------------------------------------------------- */

typedef enum tpl_node_kind {
    /* expressions */
    N_CONST,
    N_NAME,
    N_GETATTR,
    N_GETITEM,
    N_SLICE, /* only as the key of N_GETITEM */
    N_CALL,
    N_FILTER,
    N_TEST,
    N_NOT,
    N_NEG,
    N_POS,
    N_BINOP,
    N_AND,
    N_OR,
    N_CONCAT,
    N_COMPARE,
    N_CONDEXPR,
    N_LIST,
    N_TUPLE,
    N_DICT,
    N_NSREF, /* assignment target ns.attr */
    /* statements */
    N_OUTPUT, /* template data and {{ expressions }} */
    N_DATA,   /* only inside N_OUTPUT */
    N_IF,
    N_FOR,
    N_SET,
    N_SET_BLOCK,
    N_BLOCK,
    N_EXTENDS,
    N_INCLUDE,
    N_IMPORT,
    N_FROM_IMPORT,
    N_MACRO,
    N_CALL_BLOCK,
    N_FILTER_BLOCK,
    N_WITH,
    N_AUTOESCAPE,
} tpl_node_kind;

typedef struct tpl_node tpl_node;

typedef struct tpl_nodes {
    tpl_node **items;
    size_t n;
} tpl_nodes;

typedef struct tpl_call_args {
    tpl_nodes pos;
    const char **kw_names;
    tpl_nodes kw;
    tpl_node *star;  /* *args */
    tpl_node *dstar; /* **kwargs */
} tpl_call_args;

/* Names a frame assigns before (or without) reading them: Jinja starts these frame
 * locals as undefined, so a read before the assignment does not see an outer value
 * (tpl_parse_symbols.c). */
typedef struct tpl_names {
    const char **names;
    size_t n;
} tpl_names;

/* Comparison operators of N_COMPARE. */
typedef enum tpl_cmp_op { CMP_EQ, CMP_NE, CMP_LT, CMP_LTEQ, CMP_GT, CMP_GTEQ, CMP_IN, CMP_NOTIN } tpl_cmp_op;

/* A macro or a call block's `caller`: parameters, defaults, and which of the special
 * names the body uses (Jinja only passes caller/varargs/kwargs to bodies that do). */
typedef struct tpl_macro_def {
    const char *name; /* "caller" for call blocks */
    const char **params;
    size_t n_params;
    tpl_nodes defaults; /* for the last defaults.n params */
    tpl_nodes body;
    tpl_names unset;
    bool uses_caller, uses_varargs, uses_kwargs;
    bool explicit_caller; /* "caller" is one of the params */
} tpl_macro_def;

/* Facts the compile-time pass (tpl_parse_check.c) records for the renderer. */
enum {
    /* N_OUTPUT in a frame where Jinja checks for an active parent template (code run by
     * the template's top level when the template extends another): skipped then. */
    TPL_NODE_OUTPUT_CHECK = 1,
    /* N_BLOCK at the top level (or in if-statements there): not rendered once the
     * template has extended another. */
    TPL_NODE_TOPLEVEL = 2,
};

struct tpl_node {
    tpl_node_kind kind;
    unsigned flags; /* TPL_NODE_* */
    int line;       /* line in the user's file */
    int column;     /* 1-based */
    union {
        tpl_value constant; /* N_CONST */
        const char *name;   /* N_NAME */
        struct { tpl_node *obj; const char *attr; } getattr;
        struct { tpl_node *obj; tpl_node *key; } getitem;
        struct { tpl_node *start, *stop, *step; } slice;
        struct { tpl_node *fn; tpl_call_args args; } call;
        /* N_FILTER (input NULL: the body of a filter block / block set) and N_TEST.
         * fn NULL: unknown, an error when evaluated (Jinja defers the check inside if). */
        struct {
            tpl_node *input;
            const char *name;
            tpl_filter_fn filter;
            tpl_test_fn test;
            tpl_call_args args;
        } filter;
        tpl_node *operand; /* N_NOT, N_NEG, N_POS */
        struct { tpl_tok op; tpl_node *left, *right; } binop; /* N_BINOP, N_AND, N_OR */
        tpl_nodes items; /* N_LIST, N_TUPLE, N_CONCAT, N_OUTPUT */
        struct { tpl_node *first; tpl_cmp_op *ops; tpl_nodes operands; } compare;
        struct { tpl_node *test, *then, *otherwise; } cond; /* otherwise may be NULL */
        struct { tpl_nodes keys, values; } dict;
        struct { const char *name, *attr; } nsref;
        struct { const char *text; size_t len; } data;
        struct { tpl_nodes tests; tpl_nodes *bodies; tpl_nodes else_body; } if_;
        struct {
            tpl_node *target, *iter, *filter;
            tpl_nodes body, else_body;
            tpl_names body_unset, else_unset;
            bool recursive;
            bool uses_loop; /* the body mentions `loop` */
        } for_;
        struct { tpl_node *target, *value; } set;
        struct { tpl_node *target; tpl_node *filter; tpl_nodes body; tpl_names unset; } set_block;
        struct { const char *name; bool scoped, required; tpl_nodes body; tpl_names unset; } block;
        struct { tpl_node *template_; } extends;
        struct { tpl_node *template_; bool ignore_missing, with_context; } include;
        struct { tpl_node *template_; const char *target; bool with_context; } import;
        struct {
            tpl_node *template_;
            const char **names, **aliases;
            size_t n;
            bool with_context;
        } from_import;
        tpl_macro_def macro; /* N_MACRO */
        struct { tpl_macro_def caller; tpl_node *call; } call_block;
        struct { tpl_node *filter; tpl_nodes body; tpl_names unset; } filter_block;
        struct { tpl_nodes targets, values, body; tpl_names unset; } with;
        struct { tpl_node *value; tpl_nodes body; tpl_names unset; } autoescape;
    } u;
};

/* A parsed template. */
typedef struct tpl_template {
    const char *name; /* as looked up */
    const char *file; /* for messages: the name, or the path for files given by path */
    const char *path;
    tpl_nodes body;
    tpl_names root_unset;
    tpl_node **blocks; /* every {% block %}, in document order */
    size_t n_blocks;
    bool has_extends;
    int ref_index; /* position in the render's list of loaded templates */
} tpl_template;

/* Parses a preprocessed source; line_map (may be NULL) maps text lines to file lines.
 * On a syntax error: false with ctx's error set (TemplateSyntaxError or
 * TemplateAssertionError) and ctx->loc at the place. */
bool tpl_parse(tpl_ctx *ctx, const char *file, const char *text, size_t len,
               const int *line_map, size_t n_lines, tpl_template *out);

#endif
