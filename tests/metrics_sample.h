#ifndef APPCORE_TESTS_METRICS_SAMPLE_H
#define APPCORE_TESTS_METRICS_SAMPLE_H

#include <appcore.h>

/* A registry with the sample families and values; NULL (with a message on stderr) when a
 * call fails. */
appcore_metrics *metrics_sample_registry(void);

#endif
