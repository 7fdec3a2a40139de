#include "appcore/version.h"

/* Defined in the generated revision.c, refreshed on every build by vcs_tag. */
extern const char ac_build_revision[];

const char *appcore_version(void)
{
	return APPCORE_VERSION_STRING;
}

unsigned appcore_version_number(void)
{
	return APPCORE_VERSION_NUMBER;
}

const char *appcore_build_revision(void)
{
	return ac_build_revision;
}
