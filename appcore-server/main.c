/*
 * appcore-server: a thin CivetWeb shell around libappcore.
 *
 * Signals are blocked before CivetWeb starts its workers, so every thread
 * inherits the mask and only the main thread receives SIGTERM/SIGINT through
 * sigwait(). That keeps shutdown out of signal-handler context and makes the
 * process behave as PID 1 in a container (no default action is relied on).
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <appcore.h>
#include <civetweb.h>

#include "options.h"
#include "routes.h"

static int wait_for_stop_signal(const sigset_t *stop_signals)
{
	int signal_number = 0;

	while (sigwait(stop_signals, &signal_number) != 0)
		;
	return signal_number;
}

int main(int argc, char **argv)
{
	struct server_options options;
	struct mg_callbacks callbacks;
	struct mg_context *ctx;
	struct mg_server_port ports[4];
	char listening[300];
	char threads[16];
	sigset_t stop_signals;
	int port_count;
	int signal_number;

	switch (server_options_parse(&options, argc, argv)) {
	case OPTIONS_EXIT_OK:
		return 0;
	case OPTIONS_EXIT_USAGE:
		return 2;
	case OPTIONS_RUN:
		break;
	}

	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGTERM);
	sigaddset(&stop_signals, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
	signal(SIGPIPE, SIG_IGN);

	snprintf(listening, sizeof(listening), "%s:%d", options.host, options.port);
	snprintf(threads, sizeof(threads), "%d", options.threads);
	const char *civetweb_options[] = {
		"listening_ports", listening,
		"num_threads", threads,
		"enable_keep_alive", "yes",
		"tcp_nodelay", "1",
		NULL,
	};

	mg_init_library(0);
	memset(&callbacks, 0, sizeof(callbacks));
	ctx = mg_start(&callbacks, NULL, civetweb_options);
	if (ctx == NULL) {
		fprintf(stderr,
			"{\"level\":\"error\",\"msg\":\"cannot listen\",\"address\":\"%s\",\"port\":%d}\n",
			options.host, options.port);
		mg_exit_library();
		return 1;
	}
	mg_set_request_handler(ctx, "**", routes_dispatch, NULL);

	memset(ports, 0, sizeof(ports));
	port_count = mg_get_server_ports(ctx, 4, ports);
	fprintf(stderr,
		"{\"level\":\"info\",\"msg\":\"listening\",\"version\":\"%s\",\"address\":\"%s\",\"port\":%d}\n",
		appcore_version(), options.host, port_count > 0 ? ports[0].port : options.port);

	signal_number = wait_for_stop_signal(&stop_signals);
	fprintf(stderr, "{\"level\":\"info\",\"msg\":\"stopping\",\"signal\":\"%s\"}\n",
		signal_number == SIGTERM ? "SIGTERM" : "SIGINT");
	mg_stop(ctx);
	mg_exit_library();
	fprintf(stderr, "{\"level\":\"info\",\"msg\":\"stopped\"}\n");
	return 0;
}
