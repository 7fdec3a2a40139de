/* The server's side of the prediction log (libappcore's appcore/predlog.h): opened at start
 * when prediction_log.enabled, closed after the HTTP workers stop, and one call from each
 * predict handler. */
#ifndef APPCORE_SERVER_PREDICTION_LOG_H
#define APPCORE_SERVER_PREDICTION_LOG_H

#include <stddef.h>

#include <appcore.h>

struct app;
struct request;

/* Open the log when prediction_log.enabled (else do nothing), with the server's metrics and
 * logger, and ask the protocol calls to hand back rows (predict_options.keep_rows). Call
 * before the HTTP workers start. */
int prediction_log_start(struct app *app, appcore_error *err);

/* Flush the queue to the spool, give PostgreSQL prediction_log.shutdown_timeout_ms, close.
 * Call after the HTTP workers have stopped. */
void prediction_log_stop(struct app *app);

/* The hook every predict handler calls once the prediction is known and before it answers:
 * records the request's rows with its id, arrival time, latency so far and client (the id of
 * its API key when keys are configured). Returns 0 when the answer may be sent; otherwise
 * the log is full under on_disk_full: refuse, a 503 has been sent, and the handler returns
 * this status. Does nothing (returns 0) when the log is disabled or inputs is NULL. */
int prediction_log_record(struct request *req, const appcore_model *model, const float *inputs,
			  size_t rows, const float *outputs, appcore_output_kind kind);

#endif
