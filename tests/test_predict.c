#include "check_main.h"
Suite *test_suite(void)
{
	return suite_create("predict");
}
