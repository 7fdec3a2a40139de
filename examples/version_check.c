/*
 * The smallest outside user of libappcore: compiled against the installed
 * headers and linked with `pkg-config --cflags --libs appcore`.
 * It refuses to run when the loaded library is older than the headers.
 */
#include <stdio.h>
#include <string.h>

#include <appcore.h>

int main(void)
{
	if (!APPCORE_VERSION_CHECK(0, 1, 0)) {
		fprintf(stderr, "needs appcore >= 0.1.0 headers\n");
		return 1;
	}
	if (appcore_version_number() < APPCORE_VERSION_NUMBER) {
		fprintf(stderr, "library %s is older than headers %s\n", appcore_version(),
			APPCORE_VERSION_STRING);
		return 1;
	}
	if (strcmp(appcore_strerror(APPCORE_ENOMEM), "out of memory") != 0)
		return 1;
	printf("appcore %s (headers %s)\n", appcore_version(), APPCORE_VERSION_STRING);
	return 0;
}
