/*
 * Embedding appcore in a program's own event loop: a single-threaded TCP server that reads
 * one JSON prediction request per line and answers each with one line, exactly the body
 * appcore-server's POST /predict would send (errors included). No HTTP, no threads: the
 * program owns its loop (here poll(2)); the library only turns request bytes into answer bytes.
 *
 *   embed_server MODEL [PORT]     prints "listening on PORT", stops on SIGINT/SIGTERM
 *   printf '{"instances":[[5.1,3.5,1.4,0.2]]}\n' | nc 127.0.0.1 PORT
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <appcore.h>

#define MAX_CLIENTS 64
#define MAX_LINE (1 << 20)

struct client {
	int fd;
	char *buf;
	size_t used;
};

static volatile sig_atomic_t stopping;

static void on_signal(int signum)
{
	(void)signum;
	stopping = 1;
}

static int write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Answer one request line: the response body, or the error body, then a newline. */
static int answer(int fd, const appcore_model *model, const char *line, size_t len)
{
	appcore_response response;
	appcore_error err;
	char *error_body = NULL;
	size_t error_len = 0;
	int rc;

	if (appcore_predict_json(&response, model, line, len, NULL, &err) == APPCORE_OK) {
		rc = write_all(fd, response.body, response.body_len);
		appcore_response_dispose(&response);
	} else if (appcore_error_json(&error_body, &error_len, &err) == APPCORE_OK) {
		rc = write_all(fd, error_body, error_len);
		appcore_free(error_body);
	} else {
		return -1;
	}
	return rc == 0 ? write_all(fd, "\n", 1) : -1;
}

/* Read what the client sent and answer every complete line; -1 closes the client. */
static int serve(struct client *c, const appcore_model *model)
{
	ssize_t n = read(c->fd, c->buf + c->used, MAX_LINE - c->used);
	char *newline;

	if (n <= 0)
		return -1;
	c->used += (size_t)n;
	while ((newline = memchr(c->buf, '\n', c->used)) != NULL) {
		size_t len = (size_t)(newline - c->buf);

		if (answer(c->fd, model, c->buf, len) != 0)
			return -1;
		c->used -= len + 1;
		memmove(c->buf, newline + 1, c->used);
	}
	return c->used == MAX_LINE ? -1 : 0; /* a line longer than MAX_LINE */
}

static int listen_on(int port)
{
	struct sockaddr_in addr;
	socklen_t addr_len = sizeof(addr);
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	addr.sin_port = htons((unsigned short)port);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 || listen(fd, 16) != 0 ||
	    getsockname(fd, (struct sockaddr *)&addr, &addr_len) != 0) {
		perror("listen");
		return -1;
	}
	printf("listening on %d\n", ntohs(addr.sin_port));
	fflush(stdout);
	return fd;
}

int main(int argc, char **argv)
{
	struct client clients[MAX_CLIENTS];
	struct pollfd fds[MAX_CLIENTS + 1];
	struct sigaction action;
	appcore_model *model = NULL;
	appcore_error err;
	size_t count = 0;
	int listener;

	if (argc < 2) {
		fprintf(stderr, "usage: %s MODEL [PORT]\n", argv[0]);
		return 2;
	}
	if (appcore_model_load_file(&model, argv[1], NULL, &err) != APPCORE_OK) {
		fprintf(stderr, "%s\n", err.message);
		return 1;
	}
	memset(&action, 0, sizeof(action));
	action.sa_handler = on_signal; /* no SA_RESTART: poll() returns EINTR */
	sigaction(SIGINT, &action, NULL);
	sigaction(SIGTERM, &action, NULL);
	signal(SIGPIPE, SIG_IGN);
	listener = listen_on(argc > 2 ? atoi(argv[2]) : 0);
	while (listener >= 0 && !stopping) {
		fds[0] = (struct pollfd){ .fd = listener, .events = POLLIN };
		for (size_t i = 0; i < count; i++)
			fds[i + 1] = (struct pollfd){ .fd = clients[i].fd, .events = POLLIN };
		if (poll(fds, count + 1, -1) < 0)
			continue; /* EINTR: the loop checks `stopping` */
		for (size_t i = count; i-- > 0;) {
			if (fds[i + 1].revents == 0 || serve(&clients[i], model) == 0)
				continue;
			close(clients[i].fd);
			free(clients[i].buf);
			clients[i] = clients[--count];
		}
		if ((fds[0].revents & POLLIN) && count < MAX_CLIENTS) {
			int fd = accept(listener, NULL, NULL);
			char *buf = fd >= 0 ? malloc(MAX_LINE) : NULL;

			if (buf != NULL)
				clients[count++] = (struct client){ fd, buf, 0 };
			else if (fd >= 0)
				close(fd);
		}
	}
	for (size_t i = 0; i < count; i++) {
		close(clients[i].fd);
		free(clients[i].buf);
	}
	if (listener >= 0)
		close(listener);
	appcore_model_unref(model);
	return listener >= 0 ? 0 : 1;
}
