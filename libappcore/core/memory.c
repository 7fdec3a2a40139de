#include <stdlib.h>

#include "appcore/common.h"

/* Jansson's json_dumps and our own buffers all come from malloc. */
void appcore_free(void *ptr)
{
	free(ptr);
}
