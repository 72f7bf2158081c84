/* The files of core/codegen/runtime/, embedded into the core library at build time
 * (embed.cmake): the C runtime a generated project ships, and the templates of its
 * main.c, Makefile and README.md. */
#ifndef FG_CORE_CODEGEN_ASSETS_H
#define FG_CORE_CODEGEN_ASSETS_H

#include <stddef.h>

typedef struct fg_codegen_asset {
    const char *name; /* file name in core/codegen/runtime/ */
    const unsigned char *data; /* its bytes, followed by a NUL */
    size_t len;
} fg_codegen_asset;

/* Ends with an entry whose name is NULL. */
extern const fg_codegen_asset fg_codegen_assets[];

#endif
