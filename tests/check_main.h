#ifndef APPCORE_TESTS_CHECK_MAIN_H
#define APPCORE_TESTS_CHECK_MAIN_H

#include <check.h>

/* Defined by each tests/test_*.c; run by check_main.c. */
Suite *test_suite(void);

#endif
