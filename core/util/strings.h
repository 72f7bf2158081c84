/* Small string helpers shared by the core. */
#ifndef FG_CORE_STRINGS_H
#define FG_CORE_STRINGS_H

#include <stddef.h>

/* Edit distance between a and b (for "did you mean"). */
size_t fg_edit_distance(const char *a, const char *b);
/* The candidate closest to word when close enough to be a likely typo, else NULL. */
const char *fg_closest(const char *word, const char *const *candidates, size_t n);

#endif
