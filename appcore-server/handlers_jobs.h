/* Batch job endpoints (docs/jobs.md). Each returns the status sent. */
#ifndef APPCORE_SERVER_HANDLERS_JOBS_H
#define APPCORE_SERVER_HANDLERS_JOBS_H

struct request;

int handle_jobs_submit(struct request *req); /* POST /v1/jobs */
int handle_job(struct request *req);         /* GET, DELETE /v1/jobs/{id} */
int handle_job_result(struct request *req);  /* GET /v1/jobs/{id}/result */

#endif
