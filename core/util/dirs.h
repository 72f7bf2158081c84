/* Directories the core writes whole (checkpoints, generated code). */
#ifndef FG_CORE_DIRS_H
#define FG_CORE_DIRS_H

/* Removes a directory holding only files: the files, then the directory. 0, or -1 with
 * errno set (a subdirectory makes the last step fail); a missing directory is 0. */
int fg_remove_flat_dir(const char *dir);

#endif
