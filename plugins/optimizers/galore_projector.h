/* GaLore's projector (jiaweizzhao/GaLore, galore_torch/galore_projector.py): the top-r
 * singular vectors of a 2-D gradient, used to move the gradient into a rank-r space and
 * Adam's normalised update back out of it. Internal to the galore plugin. */
#ifndef FG_GALORE_PROJECTOR_H
#define FG_GALORE_PROJECTOR_H

#include <forgather/plugin.h>

/* proj_type values, in the order of the spec's choices list */
#define GALORE_STD 0
#define GALORE_REVERSE_STD 1
#define GALORE_LEFT 2
#define GALORE_RIGHT 3
#define GALORE_FULL 4

/* Which bases a matrix uses, resolved once from proj_type and its shape. */
#define GALORE_SIDE_LEFT 1u  /* A = U[:, :r] (rows x r): low = A^T G, back = A N */
#define GALORE_SIDE_RIGHT 2u /* B = Vh[:r, :] (r x cols): low = G B^T, back = N B */

typedef struct galore_projector {
    int64_t rows, cols, rank;
    uint32_t sides;           /* GALORE_SIDE_* bits; both for proj_type full */
    int64_t low_rows, low_cols; /* shape of the projected gradient and of the moments */
    float *left;              /* A, row-major rows x rank, or NULL */
    float *right;             /* B, row-major rank x cols, or NULL */
} galore_projector;

/* Sets the shape fields for a rows x cols matrix; the caller has checked
 * 1 <= rank <= min(rows, cols). Returns the fp32 count of A and B together, which the
 * caller allocates and binds to `left`/`right` with galore_projector_bind. */
int64_t galore_projector_plan(galore_projector *pr, int64_t rows, int64_t cols, int64_t rank,
                              int32_t proj_type);
void galore_projector_bind(galore_projector *pr, float *storage);

/* Floats of scratch that project/project_back need for this matrix (beyond `low`). */
int64_t galore_projector_scratch(const galore_projector *pr);

/* Recomputes A and/or B from the SVD of g (rows x cols, row-major). `name` is the
 * parameter's name for error messages. */
fg_status galore_projector_refresh(galore_projector *pr, const float *g, const char *name,
                                   fg_error *err);

/* low (low_rows x low_cols) = the projection of g. */
void galore_project(const galore_projector *pr, const float *g, float *low, float *scratch);

/* p += alpha * project_back(n); alpha folds GaLore's scale with the step size. */
void galore_project_back_add(const galore_projector *pr, const float *n, float alpha, float *p,
                             float *scratch);

#endif
