/* Endpoint handlers: parse, call libappcore, write. Each returns the status. */
#ifndef APPCORE_SERVER_HANDLERS_H
#define APPCORE_SERVER_HANDLERS_H

#include <stddef.h>

#include <appcore.h>

struct request;

/* appcore's own API (handlers.c) */
int handle_health(struct request *req);
int handle_ready(struct request *req);
int handle_version(struct request *req);
int handle_predict(struct request *req);
int handle_metrics(struct request *req);
int handle_model(struct request *req);
int handle_openapi(struct request *req);

/* The Open Inference Protocol and Triton's repository extension (handlers_oip.c) */
int handle_oip_server_metadata(struct request *req);
int handle_oip_live(struct request *req);
int handle_oip_ready(struct request *req);
int handle_oip_model_metadata(struct request *req);
int handle_oip_model_ready(struct request *req);
int handle_oip_infer(struct request *req);
int handle_oip_repository_index(struct request *req);
int handle_oip_repository_load(struct request *req);
int handle_oip_repository_unload(struct request *req);

/* TensorFlow Serving's REST API (handlers_tfserving.c) */
int handle_tfserving_status(struct request *req);
int handle_tfserving_predict(struct request *req);

/* ---- shared by the handlers (handlers_common.c) ---- */

/* The error err in the format of protocol, with its status (Retry-After on 503). 5xx
 * answers are logged with the request id. */
int send_failure(struct request *req, appcore_protocol protocol, const char *extra_headers,
		 const appcore_error *err);
/* The same for an error the server describes itself. */
int send_error(struct request *req, appcore_protocol protocol, const char *extra_headers, int code,
	       const char *format, ...) __attribute__((format(printf, 5, 6)));
/* 503 with Retry-After. */
int send_not_ready(struct request *req, appcore_protocol protocol, const char *reason);
/* Why a load balancer should not send new work here, or NULL. */
const char *not_ready_reason(struct request *req);
/* A document a library call produced: 200 with text (released) when rc is APPCORE_OK, else
 * the error. */
int send_document(struct request *req, appcore_protocol protocol, int rc, char *text, size_t len,
		  const appcore_error *err);
/* Read a JSON request body (Content-Type checked). 0 with *body (free()) when read, else the
 * status of the error already sent. */
int read_json_body(struct request *req, appcore_protocol protocol, char **body, size_t *len);

/* The one funnel of every prediction, whatever the protocol: read the body, find the model
 * (name and version from the route, or for appcore's /predict from the body), predict,
 * count, answer. A prediction log hooks here. */
int serve_prediction(struct request *req, appcore_protocol protocol, const char *name,
		     const char *version);

#endif
