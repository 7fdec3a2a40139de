/* Endpoint handlers: parse, call libappcore, write. Each returns the status. */
#ifndef APPCORE_SERVER_HANDLERS_H
#define APPCORE_SERVER_HANDLERS_H

struct request;

int handle_health(struct request *req);
int handle_ready(struct request *req);
int handle_version(struct request *req);
int handle_predict(struct request *req);
int handle_metrics(struct request *req);
int handle_model(struct request *req);

#endif
