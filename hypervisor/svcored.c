// SPDX-License-Identifier: MIT
/*
 * svcored: the hypervisor core as a daemon. It holds /dev/kvm (one fd per
 * domain) and every guest, and serves <rundir>/core.sock. The control domain
 * proves it is domid 0 with the token written to <rundir>/core.token (0600).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "control_server.h"
#include "ctl_wire.h"
#include "log.h"

static int write_file(const char *dir, const char *name, const char *text, mode_t mode)
{
	char tmp[256], path[256];
	size_t len = strlen(text);
	int fd, ret = 0;

	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != (ssize_t)len)
		ret = -EIO;
	if (close(fd) < 0 && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path) < 0)
		ret = -errno;
	if (ret)
		unlink(tmp);
	return ret;
}

static int make_token(char *token)
{
	unsigned char raw[SV_CTL_TOKEN_LEN / 2];
	size_t i;

	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		return -EIO;
	for (i = 0; i < sizeof(raw); i++)
		sprintf(token + 2 * i, "%02x", raw[i]);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "run-dir", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char dir[256], sock[300], pid[32], token[SV_CTL_TOKEN_LEN + 1];
	struct control_server *srv = NULL;
	int c, fd, lfd = -1, sfd = -1, ret;

	log_init("svcored");
	sigset_t set;

	if (wire_run_dir(dir, sizeof(dir))) {
		log_err("run directory path too long");
		return 1;
	}
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			snprintf(dir, sizeof(dir), "%s", optarg);
			break;
		case 'h':
			printf("usage: svcored [--run-dir DIR]\n");
			return 0;
		default:
			return 64;
		}
	}
	ret = wire_run_dir_make(dir);
	if (ret) {
		log_err("run directory %s: %s", dir, strerror(-ret));
		return 1;
	}
	snprintf(sock, sizeof(sock), "%s/core.sock", dir);
	fd = wire_unix_connect(sock);
	if (fd >= 0) {
		close(fd);
		log_err("already running on %s", sock);
		return 1;
	}
	/* SIGUSR1 stays open: the core kicks vCPU threads with it. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);

	ret = make_token(token);
	if (!ret)
		ret = write_file(dir, "core.token", token, 0600);
	if (ret) {
		log_err("cannot write %s/core.token: %s", dir, strerror(-ret));
		goto out;
	}
	lfd = wire_unix_listen(sock);
	if (lfd < 0) {
		ret = lfd;
		log_err("cannot listen on %s: %s", sock, strerror(-ret));
		goto out;
	}
	snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	write_file(dir, "svcored.pid", pid, 0644);
	ret = control_server_new(lfd, token, &srv);
	if (!ret)
		ret = control_server_run(srv, sfd);
	if (ret)
		log_err("%s", strerror(-ret));
out:
	control_server_free(srv);
	/* Gone before the pid file, so a stopper waiting on the pid finds no socket. */
	if (lfd >= 0) {
		unlink(sock);
		close(lfd);
	}
	snprintf(sock, sizeof(sock), "%s/core.token", dir);
	unlink(sock);
	snprintf(sock, sizeof(sock), "%s/svcored.pid", dir);
	unlink(sock);
	if (sfd >= 0)
		close(sfd);
	return ret ? 1 : 0;
}
