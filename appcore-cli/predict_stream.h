/* Offline scoring of CSV / NDJSON streams, one prediction per output line. */
#ifndef APPCORE_CLI_PREDICT_STREAM_H
#define APPCORE_CLI_PREDICT_STREAM_H

#include <stdbool.h>
#include <stdio.h>

#include <appcore.h>

#include "predict_log.h"

enum stream_format { STREAM_CSV, STREAM_NDJSON };

/* Read rows from in, write predictions to out in batches (constant memory), each batch
 * recorded in log when it is open. Errors go to stderr naming the input line; returns the
 * process exit code. */
int predict_stream(appcore_model *model, const appcore_predict_options *options,
		   enum stream_format format, FILE *in, FILE *out, bool progress,
		   struct cli_predlog *log);

#endif
