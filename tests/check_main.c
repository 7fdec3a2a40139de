/* Shared main() for the Check unit tests: each test file defines test_suite(). */
#include <check.h>
#include <stdlib.h>

#include "check_main.h"

int main(void)
{
	SRunner *runner = srunner_create(test_suite());
	int failed;

	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
