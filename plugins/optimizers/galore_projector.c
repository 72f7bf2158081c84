/* GaLore's projector: SVD of the gradient through LAPACK, basis selection per proj_type,
 * and the projections as fp32 GEMMs (the reference multiplies in the gradient's dtype).
 *
 * The SVD runs in double precision (dgesdd): the basis is cast to fp32 afterwards, as the
 * reference casts torch.linalg.svd's output back to the gradient's dtype, and the double
 * solve keeps nearly equal singular values from swapping their vectors through round-off.
 *
 * Sign convention: an SVD fixes each singular vector only up to sign, and the sign matters
 * across a basis refresh because GaLore keeps its moments (they were accumulated in the old
 * basis). So every basis vector (column of A, row of B) is flipped, independently, to make
 * its largest-magnitude entry positive (the first such entry on a tie). Any other SVD
 * routine plus this rule gives the same basis when the singular values are distinct. */
#include "galore_projector.h"

#include <cblas.h>
#include <limits.h>
#include <math.h>
#include <string.h>

/* LAPACK (Fortran) as OpenBLAS exports it: 32-bit integers, trailing hidden lengths of
 * the character arguments. */
extern void dgesdd_(const char *jobz, const int *m, const int *n, double *a, const int *lda,
                    double *s, double *u, const int *ldu, double *vt, const int *ldvt,
                    double *work, const int *lwork, int *iwork, int *info, size_t jobz_len);
extern void dgesvd_(const char *jobu, const char *jobvt, const int *m, const int *n, double *a,
                    const int *lda, double *s, double *u, const int *ldu, double *vt,
                    const int *ldvt, double *work, const int *lwork, int *info, size_t jobu_len,
                    size_t jobvt_len);

int64_t galore_projector_plan(galore_projector *pr, int64_t rows, int64_t cols, int64_t rank,
                              int32_t proj_type) {
    memset(pr, 0, sizeof(*pr));
    pr->rows = rows;
    pr->cols = cols;
    pr->rank = rank;
    const int tall = rows >= cols; /* the reference's test: shape[0] >= shape[1] */
    switch (proj_type) {
    case GALORE_STD: pr->sides = tall ? GALORE_SIDE_RIGHT : GALORE_SIDE_LEFT; break;
    case GALORE_REVERSE_STD: pr->sides = tall ? GALORE_SIDE_LEFT : GALORE_SIDE_RIGHT; break;
    case GALORE_LEFT: pr->sides = GALORE_SIDE_LEFT; break;
    case GALORE_RIGHT: pr->sides = GALORE_SIDE_RIGHT; break;
    default: pr->sides = GALORE_SIDE_LEFT | GALORE_SIDE_RIGHT; break;
    }
    pr->low_rows = (pr->sides & GALORE_SIDE_LEFT) ? rank : rows;
    pr->low_cols = (pr->sides & GALORE_SIDE_RIGHT) ? rank : cols;
    int64_t n = 0;
    if (pr->sides & GALORE_SIDE_LEFT) n += rows * rank;
    if (pr->sides & GALORE_SIDE_RIGHT) n += rank * cols;
    return n;
}

void galore_projector_bind(galore_projector *pr, float *storage) {
    pr->left = (pr->sides & GALORE_SIDE_LEFT) ? storage : NULL;
    if (pr->sides & GALORE_SIDE_RIGHT)
        pr->right = storage + ((pr->sides & GALORE_SIDE_LEFT) ? pr->rows * pr->rank : 0);
}

int64_t galore_projector_scratch(const galore_projector *pr) {
    if (pr->sides != (GALORE_SIDE_LEFT | GALORE_SIDE_RIGHT)) return 0;
    /* full: A^T G (r x cols) on the way in, A N (rows x r) on the way out */
    const int64_t in = pr->rank * pr->cols, out = pr->rows * pr->rank;
    return in > out ? in : out;
}

/* Flips x[0], x[stride], ... x[(n-1)*stride] so that its largest-|x| entry is positive. */
static void fix_sign(double *x, int64_t n, int64_t stride) {
    int64_t best = 0;
    for (int64_t i = 1; i < n; i++)
        if (fabs(x[i * stride]) > fabs(x[best * stride])) best = i;
    if (x[best * stride] < 0.0)
        for (int64_t i = 0; i < n; i++) x[i * stride] = -x[i * stride];
}

/* Thin SVD of the row-major rows x cols matrix in `a` (destroyed). LAPACK is column-major,
 * so it sees G^T = V S U^T: its U (cols x k, column-major) is Vh (k x cols, row-major) and
 * its VT (k x rows, column-major) is U (rows x k, row-major). Tries dgesdd, then dgesvd if
 * dgesdd does not converge. Returns LAPACK's info (0 = success); -1000 = out of memory. */
static int lapack_svd(double *a, const double *a_copy, int m, int n, double *s, double *vh,
                      double *u) {
    const int k = m < n ? m : n, lda = m, ldu = m, ldvt = k;
    int info = 0, lwork = -1;
    double query = 0.0;
    int *iwork = fg_api->alloc(sizeof(int) * 8 * (size_t)k);
    if (iwork == NULL) return -1000;
    dgesdd_("S", &m, &n, a, &lda, s, vh, &ldu, u, &ldvt, &query, &lwork, iwork, &info, 1);
    if (info == 0) {
        lwork = (int)query;
        double *work = fg_api->alloc(sizeof(double) * (size_t)lwork);
        if (work == NULL) info = -1000;
        else dgesdd_("S", &m, &n, a, &lda, s, vh, &ldu, u, &ldvt, work, &lwork, iwork, &info, 1);
        fg_api->free(work);
    }
    fg_api->free(iwork);
    if (info <= 0) return info;
    /* dgesdd's divide and conquer failed to converge: the QR iteration of dgesvd is slower
     * but more robust. */
    memcpy(a, a_copy, sizeof(double) * (size_t)m * (size_t)n);
    lwork = -1;
    dgesvd_("S", "S", &m, &n, a, &lda, s, vh, &ldu, u, &ldvt, &query, &lwork, &info, 1, 1);
    if (info != 0) return info;
    lwork = (int)query;
    double *work = fg_api->alloc(sizeof(double) * (size_t)lwork);
    if (work == NULL) return -1000;
    dgesvd_("S", "S", &m, &n, a, &lda, s, vh, &ldu, u, &ldvt, work, &lwork, &info, 1, 1);
    fg_api->free(work);
    return info;
}

fg_status galore_projector_refresh(galore_projector *pr, const float *g, const char *name,
                                   fg_error *err) {
    const int64_t rows = pr->rows, cols = pr->cols, r = pr->rank;
    const int64_t k = rows < cols ? rows : cols, numel = rows * cols;
    /* one block: the matrix, a pristine copy for the dgesvd fallback, S, Vh, U */
    const size_t n_doubles = (size_t)(2 * numel + k + k * cols + rows * k);
    double *buf = fg_api->alloc(sizeof(double) * n_doubles);
    if (buf == NULL) {
        fg_api->error_set(err, FG_E_NOMEM, "galore: out of memory for the SVD of '%s' (%lld x %lld)",
                          name, (long long)rows, (long long)cols);
        return FG_E_NOMEM;
    }
    double *a = buf, *a_copy = a + numel, *s = a_copy + numel, *vh = s + k, *u = vh + k * cols;
    for (int64_t i = 0; i < numel; i++) {
        if (!isfinite(g[i])) {
            fg_api->free(buf);
            fg_api->error_set(err, FG_E_NUMERIC,
                              "galore: gradient of '%s' has a non-finite value at index %lld; "
                              "cannot compute its SVD for the projection",
                              name, (long long)i);
            return FG_E_NUMERIC;
        }
        a[i] = a_copy[i] = (double)g[i];
    }
    const int info = lapack_svd(a, a_copy, (int)cols, (int)rows, s, vh, u);
    if (info != 0) {
        fg_api->free(buf);
        if (info == -1000) {
            fg_api->error_set(err, FG_E_NOMEM, "galore: out of memory for the SVD of '%s'", name);
            return FG_E_NOMEM;
        }
        fg_api->error_set(err, FG_E_NUMERIC,
                          "galore: the SVD of the gradient of '%s' (%lld x %lld) failed "
                          "(LAPACK dgesdd/dgesvd info %d)",
                          name, (long long)rows, (long long)cols, info);
        return FG_E_NUMERIC;
    }
    if (pr->left != NULL) { /* A = U[:, :r]: column j of U has stride k */
        for (int64_t j = 0; j < r; j++) fix_sign(u + j, rows, k);
        for (int64_t i = 0; i < rows; i++)
            for (int64_t j = 0; j < r; j++) pr->left[i * r + j] = (float)u[i * k + j];
    }
    if (pr->right != NULL) { /* B = Vh[:r, :]: rows of Vh are contiguous */
        for (int64_t j = 0; j < r; j++) fix_sign(vh + j * cols, cols, 1);
        for (int64_t i = 0; i < r * cols; i++) pr->right[i] = (float)vh[i];
    }
    fg_api->free(buf);
    return FG_OK;
}

void galore_project(const galore_projector *pr, const float *g, float *low, float *scratch) {
    const int rows = (int)pr->rows, cols = (int)pr->cols, r = (int)pr->rank;
    switch (pr->sides) {
    case GALORE_SIDE_RIGHT: /* G B^T: rows x r */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, r, cols, 1.0f, g, cols,
                    pr->right, cols, 0.0f, low, r);
        break;
    case GALORE_SIDE_LEFT: /* A^T G: r x cols */
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, r, cols, rows, 1.0f, pr->left, r, g,
                    cols, 0.0f, low, cols);
        break;
    default: /* (A^T G) B^T: r x r, in the reference's order */
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, r, cols, rows, 1.0f, pr->left, r, g,
                    cols, 0.0f, scratch, cols);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, r, r, cols, 1.0f, scratch, cols,
                    pr->right, cols, 0.0f, low, r);
        break;
    }
}

void galore_project_back_add(const galore_projector *pr, const float *n, float alpha, float *p,
                             float *scratch) {
    const int rows = (int)pr->rows, cols = (int)pr->cols, r = (int)pr->rank;
    switch (pr->sides) {
    case GALORE_SIDE_RIGHT: /* N B */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, cols, r, alpha, n, r,
                    pr->right, cols, 1.0f, p, cols);
        break;
    case GALORE_SIDE_LEFT: /* A N */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, cols, r, alpha, pr->left, r,
                    n, cols, 1.0f, p, cols);
        break;
    default: /* (A N) B */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, r, r, 1.0f, pr->left, r, n,
                    r, 0.0f, scratch, r);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, cols, r, alpha, scratch, r,
                    pr->right, cols, 1.0f, p, cols);
        break;
    }
}
