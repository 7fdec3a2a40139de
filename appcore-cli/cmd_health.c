/*
 * appcore-cli health: a tiny HTTP/1.0 GET that exits 0 on a 2xx answer.
 *
 * It exists so the container image needs no curl or wget for its HEALTHCHECK:
 * the image ships only appcore's own binaries and their libraries. Plain POSIX
 * sockets, http:// only, one deadline for the whole exchange (resolve excepted:
 * getaddrinfo has no timeout, and health checks use numeric addresses anyway).
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cli_options.h"
#include "commands.h"

#define HEALTH_DEFAULT_TIMEOUT_MS 5000
#define HEALTH_MAX_TIMEOUT_MS	  600000

struct health_url {
	char host[256];
	char port[8];
	char path[1024];
};

static void print_health_usage(FILE *to)
{
	fprintf(to, "Usage: appcore-cli health [--timeout-ms N] URL\n"
		    "GET an http:// URL; exit 0 on a 2xx answer, 1 otherwise (reason on stderr).\n"
		    "Meant for container health checks, e.g.\n"
		    "  appcore-cli health http://127.0.0.1:8000/health\n"
		    "\n"
		    "  --timeout-ms N   give up after N milliseconds (default %d)\n",
		HEALTH_DEFAULT_TIMEOUT_MS);
}

/* http://host[:port][/path], host may be a bracketed IPv6 literal. */
static int parse_url(const char *url, struct health_url *out)
{
	const char *p, *host_end, *port_start = NULL, *authority_end;
	size_t host_len;
	int written;

	if (strncmp(url, "http://", 7) != 0)
		return -1;
	p = url + 7;
	authority_end = p + strcspn(p, "/?#");
	if (*p == '[') {
		host_end = memchr(p, ']', (size_t)(authority_end - p));
		if (host_end == NULL)
			return -1;
		p++;
		if (host_end + 1 < authority_end) {
			if (host_end[1] != ':')
				return -1;
			port_start = host_end + 2;
		}
	} else {
		host_end = memchr(p, ':', (size_t)(authority_end - p));
		if (host_end != NULL)
			port_start = host_end + 1;
		else
			host_end = authority_end;
	}
	host_len = (size_t)(host_end - p);
	if (host_len == 0 || host_len >= sizeof(out->host))
		return -1;
	memcpy(out->host, p, host_len);
	out->host[host_len] = '\0';

	if (port_start != NULL) {
		size_t port_len = (size_t)(authority_end - port_start);
		char *end = NULL;
		long port;

		if (port_len == 0 || port_len >= sizeof(out->port))
			return -1;
		memcpy(out->port, port_start, port_len);
		out->port[port_len] = '\0';
		port = strtol(out->port, &end, 10);
		if (out->port[0] < '0' || out->port[0] > '9' || *end != '\0' || port < 1 ||
		    port > 65535)
			return -1;
	} else {
		snprintf(out->port, sizeof(out->port), "80");
	}

	/* the fragment never goes on the wire; a bare "?query" gets the root path */
	p = authority_end;
	if (*p == '#' || *p == '\0')
		p = "";
	written = snprintf(out->path, sizeof(out->path), "%s%.*s", *p == '/' ? "" : "/",
			       (int)strcspn(p, "#"), p);
	if (written < 0 || (size_t)written >= sizeof(out->path))
		return -1;
	/* a URL with spaces or control characters would forge the request line */
	for (const char *c = out->path; *c != '\0'; c++)
		if ((unsigned char)*c <= ' ' || *c == 0x7f)
			return -1;
	return 0;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int remaining_ms(long long deadline)
{
	long long left = deadline - now_ms();

	return left > 0 ? (int)left : 0;
}

/* Wait for fd to become ready for events; 0 ready, -1 timeout or error (errno set). */
static int wait_fd(int fd, short events, long long deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events, .revents = 0 };
	int rc;

	do {
		rc = poll(&pfd, 1, remaining_ms(deadline));
	} while (rc < 0 && errno == EINTR);
	if (rc == 0) {
		errno = ETIMEDOUT;
		return -1;
	}
	return rc < 0 ? -1 : 0;
}

static int connect_with_deadline(const struct addrinfo *ai, long long deadline)
{
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
	int so_error = 0;
	socklen_t len = sizeof(so_error);

	if (fd < 0)
		return -1;
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
		goto fail;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return fd;
	if (errno != EINPROGRESS)
		goto fail;
	if (wait_fd(fd, POLLOUT, deadline) != 0)
		goto fail;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len) != 0)
		goto fail;
	if (so_error != 0) {
		errno = so_error;
		goto fail;
	}
	return fd;
fail:
	so_error = errno;
	close(fd);
	errno = so_error;
	return -1;
}

static int send_all(int fd, const char *buf, size_t len, long long deadline)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
			if (wait_fd(fd, POLLOUT, deadline) != 0)
				return -1;
			continue;
		}
		if (n < 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read until the status line is complete; returns its length or -1 (errno set; 0 = EOF). */
static ssize_t read_status_line(int fd, char *buf, size_t size, long long deadline)
{
	size_t used = 0;

	while (used + 1 < size) {
		ssize_t n = recv(fd, buf + used, size - 1 - used, 0);

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
			if (wait_fd(fd, POLLIN, deadline) != 0)
				return -1;
			continue;
		}
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		used += (size_t)n;
		buf[used] = '\0';
		if (strchr(buf, '\n') != NULL)
			return (ssize_t)used;
	}
	buf[used] = '\0';
	errno = 0;
	return used > 0 ? (ssize_t)used : -1;
}

/* The status code of "HTTP/1.0 NNN ..." or "HTTP/1.1 NNN ...", or -1. */
static int parse_status_line(const char *line)
{
	if (strncmp(line, "HTTP/1.", 7) != 0 || (line[7] != '0' && line[7] != '1') || line[8] != ' ')
		return -1;
	line += 9;
	if (line[0] < '1' || line[0] > '9' || line[1] < '0' || line[1] > '9' || line[2] < '0' ||
	    line[2] > '9' || (line[3] != ' ' && line[3] != '\r' && line[3] != '\n' && line[3] != '\0'))
		return -1;
	return (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
}

static int check_health(const char *url, const struct health_url *u, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;
	struct addrinfo hints, *res = NULL, *ai;
	char request[1400];
	char response[512];
	int fd = -1, gai, status, saved_errno = 0, request_len;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	gai = getaddrinfo(u->host, u->port, &hints, &res);
	if (gai != 0) {
		fprintf(stderr, "appcore-cli health: %s: cannot resolve '%s': %s\n", url, u->host,
			gai_strerror(gai));
		return CLI_EXIT_FAILURE;
	}
	for (ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
		fd = connect_with_deadline(ai, deadline);
		if (fd < 0)
			saved_errno = errno;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		fprintf(stderr, "appcore-cli health: %s: cannot connect: %s\n", url,
			strerror(saved_errno));
		return CLI_EXIT_FAILURE;
	}

	request_len = snprintf(request, sizeof(request),
			       "GET %s HTTP/1.0\r\nHost: %s%s%s:%s\r\n"
			       "User-Agent: appcore-cli-health\r\nConnection: close\r\n\r\n",
			       u->path, strchr(u->host, ':') ? "[" : "", u->host,
			       strchr(u->host, ':') ? "]" : "", u->port);
	if (send_all(fd, request, (size_t)request_len, deadline) != 0) {
		fprintf(stderr, "appcore-cli health: %s: cannot send request: %s\n", url,
			strerror(errno));
		close(fd);
		return CLI_EXIT_FAILURE;
	}
	if (read_status_line(fd, response, sizeof(response), deadline) < 0) {
		fprintf(stderr, "appcore-cli health: %s: no answer: %s\n", url,
			errno != 0 ? strerror(errno) : "connection closed");
		close(fd);
		return CLI_EXIT_FAILURE;
	}
	close(fd);

	status = parse_status_line(response);
	if (status < 0) {
		fprintf(stderr, "appcore-cli health: %s: not an HTTP answer\n", url);
		return CLI_EXIT_FAILURE;
	}
	if (status < 200 || status > 299) {
		fprintf(stderr, "appcore-cli health: %s: HTTP status %d\n", url, status);
		return CLI_EXIT_FAILURE;
	}
	return CLI_EXIT_OK;
}

int cmd_health(int argc, char **argv)
{
	enum { OPT_TIMEOUT = 256 };
	static const struct option options[] = {
		{ "timeout-ms", required_argument, NULL, OPT_TIMEOUT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct health_url url;
	long timeout_ms = HEALTH_DEFAULT_TIMEOUT_MS;
	const char *target;
	char *end = NULL;
	int opt, rc;

	while ((opt = cli_getopt(argc, argv, ":h", options, "health")) != -1) {
		switch (opt) {
		case OPT_TIMEOUT:
			errno = 0;
			timeout_ms = strtol(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' || timeout_ms < 1 ||
			    timeout_ms > HEALTH_MAX_TIMEOUT_MS)
				return cli_usage_error("health",
						       "--timeout-ms: expected 1..%d, got '%s'",
						       HEALTH_MAX_TIMEOUT_MS, optarg);
			break;
		case 'h':
			print_health_usage(stdout);
			return CLI_EXIT_OK;
		default:
			return CLI_EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return cli_usage_error("health", "a URL is needed");
	if ((rc = cli_operands(argc, argv, 1, "health")) != 0)
		return rc;
	target = argv[optind];
	if (parse_url(target, &url) != 0)
		return cli_usage_error(
		    "health", "invalid URL '%s' (expected http://HOST[:PORT][/PATH])", target);
	return check_health(target, &url, (int)timeout_ms);
}
