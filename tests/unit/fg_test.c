#include "fg_test.h"

int fg_test_failures = 0;
int fg_test_checks = 0;

int fg_test_finish(const char *name) {
    printf("%s: %d passed, %d failed\n", name, fg_test_checks - fg_test_failures,
           fg_test_failures);
    return fg_test_failures == 0 ? 0 : 1;
}
