/*
 * The ceiling of the HTTP layer: a bare CivetWeb program with the same server
 * options as appcore-server (keep-alive, tcp_nodelay, thread count) that reads
 * the request body and answers a fixed JSON body of a typical /predict size,
 * written in one buffer like appcore-server does. bench/http.sh measures
 * appcore-server against it.
 *
 *   bare_civetweb PORT THREADS
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <civetweb.h>

static const char body[] = "{\"predictions\":[0.0432916172],\"model\":{\"name\":\"bench\",\"version\":\"1\"}}";

static int answer(struct mg_connection *conn, void *cbdata)
{
	char request[65536];
	char response[512];
	int len;
	(void)cbdata;

	while (mg_read(conn, request, sizeof(request)) > 0)
		;
	len = snprintf(response, sizeof(response),
		       "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
		       "Cache-Control: no-store\r\nConnection: keep-alive\r\n\r\n%s",
		       sizeof(body) - 1, body);
	mg_write(conn, response, (size_t)len);
	return 200;
}

int main(int argc, char **argv)
{
	char listening[64];
	struct mg_callbacks callbacks;
	struct mg_context *ctx;
	sigset_t stop;
	int sig;

	if (argc != 3) {
		fprintf(stderr, "usage: bare_civetweb PORT THREADS\n");
		return 2;
	}
	snprintf(listening, sizeof(listening), "127.0.0.1:%s", argv[1]);
	const char *options[] = {
		"listening_ports", listening, "num_threads", argv[2], "enable_keep_alive", "yes",
		"tcp_nodelay", "1", "listen_backlog", "1024", NULL,
	};
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	mg_init_library(0);
	memset(&callbacks, 0, sizeof(callbacks));
	ctx = mg_start(&callbacks, NULL, options);
	if (ctx == NULL)
		return 1;
	mg_set_request_handler(ctx, "**", answer, NULL);
	fprintf(stderr, "bare_civetweb listening on %s\n", listening);
	sigwait(&stop, &sig);
	mg_stop(ctx);
	mg_exit_library();
	return 0;
}
