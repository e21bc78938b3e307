// SPDX-License-Identifier: MIT
/*
 * Image formats through QEMU (blk_image.h). One qemu-storage-daemon per disk
 * opens the image with QEMU's own format driver and exports it over NBD on a
 * unix socket in a private directory (mode 0700, so no other user can reach
 * the disk), accepting one connection: ours, through libnbd. The daemon dies
 * with its parent (PR_SET_PDEATHSIG) and with the disk.
 */
#include <errno.h>
#include <fcntl.h>
#include <libnbd.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "blk_image.h"
#include "log.h"

#define QSD_BINARY    "qemu-storage-daemon"
#define QIMG_BINARY   "qemu-img"
#define QIMG_CHECK_MS 60000
#define QSD_START_MS  30000 /* TCG-emulated test machines start it slowly */
#define QSD_STOP_MS   5000
#define QSD_ARG_MAX   8192
#define IMG_MAX_XFER  (32u << 20) /* NBD's usual request limit */

struct blk_image {
	struct nbd_handle *nbd;
	pid_t pid;
	char dir[64]; /* private: the socket and the daemon's log */
	uint64_t bytes;
	bool can_flush, can_trim;
};

/* QEMU reads more (vmdk, vdi, vhdx, ...); only what the tests cover is offered. */
static const char *const known_formats[] = { "qcow2" };

bool blk_image_format_known(const char *format)
{
	for (size_t i = 0; i < sizeof(known_formats) / sizeof(known_formats[0]); i++)
		if (!strcmp(format, known_formats[i]))
			return true;
	return false;
}

/* path as a JSON string; refuses what has no business in a file name (control bytes). */
static int json_str(char *out, size_t cap, const char *s)
{
	size_t n = 0;

	if (cap < 3)
		return -ENAMETOOLONG;
	out[n++] = '"';
	for (; *s; s++) {
		if ((unsigned char)*s < 0x20)
			return -EINVAL;
		if (n + 3 >= cap)
			return -ENAMETOOLONG;
		if (*s == '"' || *s == '\\')
			out[n++] = '\\';
		out[n++] = *s;
	}
	out[n++] = '"';
	out[n] = '\0';
	return 0;
}

/* The last line the daemon wrote: its own reason when it did not start. */
static void daemon_reason(const struct blk_image *img, char *buf, size_t len)
{
	char path[96], tail[512];
	ssize_t n;
	int fd;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "%s/qsd.log", img->dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = pread(fd, tail, sizeof(tail) - 1, 0);
	close(fd);
	if (n <= 0)
		return;
	tail[n] = '\0';
	while (n > 0 && (tail[n - 1] == '\n' || tail[n - 1] == '\r'))
		tail[--n] = '\0';
	/* A long line is cut: the reason is its start. */
	if (snprintf(buf, len, ": %s", strrchr(tail, '\n') ? strrchr(tail, '\n') + 1 : tail) >=
	    (int)len)
		buf[len - 1] = '\0';
}

/* The child's half of a spawn: only async-signal-safe calls (the parent has threads). */
static void exec_child(char *const argv[], int outfd, pid_t parent)
{
	int devnull = open("/dev/null", O_RDWR);
	sigset_t none;

	/*
	 * svdom0 blocks the signals it reads through a signalfd, and a mask survives exec:
	 * the program would never see our SIGTERM.
	 */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	/* A parent gone before the prctl (the bootloader's child killed) sends nothing. */
	if (getppid() != parent)
		_exit(125);
	if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(outfd, 1) < 0 || dup2(outfd, 2) < 0)
		_exit(126);
	close_range(3, ~0u, 0);
	execvp(argv[0], argv);
	_exit(127);
}

/* The first line of out that starts with "ERROR", else its first line. */
static const char *first_error(char *out)
{
	char *line = strstr(out, "ERROR");

	if (!line || (line != out && line[-1] != '\n'))
		line = out;
	line[strcspn(line, "\n")] = '\0';
	return *line ? line : "(no message)";
}

int blk_image_check(const char *path, const char *format, char *err, size_t errlen)
{
	char *argv[] = { QIMG_BINARY, "check", "-q", "-f", (char *)format, (char *)path, NULL };
	struct timespec t0, t;
	char out[1024], drain[256];
	size_t got = 0;
	int fds[2], status = 0, waited, ready, ret = 0;
	pid_t parent = getpid(), pid;
	struct pollfd pfd;
	ssize_t n;

	if (!blk_image_format_known(format)) {
		snprintf(err, errlen, "%s: unknown disk format '%s'", path, format);
		return -EINVAL;
	}
	if (pipe2(fds, O_CLOEXEC)) {
		ret = -errno;
		snprintf(err, errlen, "cannot make a pipe: %s", strerror(errno));
		return ret;
	}
	pid = fork();
	if (pid == 0)
		exec_child(argv, fds[1], parent);
	close(fds[1]);
	if (pid < 0) {
		ret = -errno;
		close(fds[0]);
		snprintf(err, errlen, "cannot start %s: %s", QIMG_BINARY, strerror(errno));
		return ret;
	}
	/* Its output (bounded: the rest is drained unread) until it ends or runs too long. */
	pfd.fd = fds[0];
	pfd.events = POLLIN;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		waited = (int)((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (waited >= QIMG_CHECK_MS) {
			ret = -ETIMEDOUT;
			break;
		}
		ready = poll(&pfd, 1, QIMG_CHECK_MS - waited);
		if (ready < 0 && errno != EINTR) {
			ret = -errno;
			break;
		}
		if (ready <= 0)
			continue;
		if (got < sizeof(out) - 1)
			n = read(fds[0], out + got, sizeof(out) - 1 - got);
		else
			n = read(fds[0], drain, sizeof(drain));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (got < sizeof(out) - 1)
			got += (size_t)n;
	}
	out[got] = '\0';
	close(fds[0]);
	if (ret)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (ret == -ETIMEDOUT) {
		snprintf(err, errlen, "%s: %s check did not finish within %d s", path, QIMG_BINARY,
			 QIMG_CHECK_MS / 1000);
		return ret;
	}
	if (ret) {
		snprintf(err, errlen, "%s: %s check: %s", path, QIMG_BINARY, strerror(-ret));
		return ret;
	}
	/* 0: clean; 3: leaked clusters only (space, not data); 63: the format has no check. */
	if (WIFEXITED(status) &&
	    (WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 3 || WEXITSTATUS(status) == 63))
		return 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		snprintf(err, errlen, "%s: %s is not installed (Debian: qemu-utils)", path,
			 QIMG_BINARY);
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 2)
		snprintf(err, errlen, "%s: %s check finds the %s image damaged (truncated?): %s",
			 path, QIMG_BINARY, format, first_error(out));
	else
		snprintf(err, errlen, "%s: %s check cannot read it as %s: %s", path, QIMG_BINARY,
			 format, first_error(out));
	return -EIO;
}

static int spawn_daemon(struct blk_image *img, const char *path, const char *format, bool readonly,
			bool direct, bool no_flush, char *err, size_t errlen)
{
	char jpath[4200], jsock[256], file_node[QSD_ARG_MAX], fmt_node[512], server[512],
		export[256], logpath[96];
	pid_t parent = getpid(), pid;
	char *argv[10];
	int ret, logfd;

	ret = json_str(jpath, sizeof(jpath), path);
	if (ret) {
		snprintf(err, errlen, "%s: the path %s", path,
			 ret == -EINVAL ? "holds control characters" : "is too long");
		return ret;
	}
	snprintf(logpath, sizeof(logpath), "%s/nbd.sock", img->dir);
	if (json_str(jsock, sizeof(jsock), logpath))
		return -ENAMETOOLONG;
	if (snprintf(file_node, sizeof(file_node),
		     "{\"driver\":\"file\",\"node-name\":\"file\",\"filename\":%s,"
		     "\"read-only\":%s,\"cache\":{\"direct\":%s,\"no-flush\":%s}}",
		     jpath, readonly ? "true" : "false", direct ? "true" : "false",
		     no_flush ? "true" : "false") >= (int)sizeof(file_node) ||
	    snprintf(fmt_node, sizeof(fmt_node),
		     "{\"driver\":\"%s\",\"node-name\":\"disk\",\"file\":\"file\",\"read-only\":%s,"
		     "\"discard\":\"unmap\",\"cache\":{\"direct\":%s,\"no-flush\":%s}}",
		     format, readonly ? "true" : "false", direct ? "true" : "false",
		     no_flush ? "true" : "false") >= (int)sizeof(fmt_node) ||
	    snprintf(server, sizeof(server),
		     "{\"addr\":{\"type\":\"unix\",\"path\":%s},\"max-connections\":1}",
		     jsock) >= (int)sizeof(server) ||
	    snprintf(export, sizeof(export),
		     "{\"type\":\"nbd\",\"id\":\"export\",\"node-name\":\"disk\",\"name\":\"disk\","
		     "\"writable\":%s}",
		     readonly ? "false" : "true") >= (int)sizeof(export)) {
		snprintf(err, errlen, "%s: the path is too long", path);
		return -ENAMETOOLONG;
	}
	argv[0] = QSD_BINARY;
	argv[1] = "--blockdev";
	argv[2] = file_node;
	argv[3] = "--blockdev";
	argv[4] = fmt_node;
	argv[5] = "--nbd-server";
	argv[6] = server;
	argv[7] = "--export";
	argv[8] = export;
	argv[9] = NULL;

	snprintf(logpath, sizeof(logpath), "%s/qsd.log", img->dir);
	logfd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (logfd < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", logpath, strerror(errno));
		return ret;
	}
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		close(logfd);
		snprintf(err, errlen, "cannot start %s: %s", QSD_BINARY, strerror(errno));
		return ret;
	}
	if (pid == 0)
		exec_child(argv, logfd, parent);
	close(logfd);
	img->pid = pid;
	return 0;
}

static struct nbd_handle *new_handle(void)
{
	struct nbd_handle *h = nbd_create();

	if (h && nbd_set_export_name(h, "disk")) {
		nbd_close(h);
		h = NULL;
	}
	return h;
}

/* Connects once the daemon listens; fails early when it died or spoke wrongly. */
static int connect_daemon(struct blk_image *img, const char *path, char *err, size_t errlen)
{
	struct timespec pause = { 0, 20 * 1000 * 1000 };
	char sock[96], why[400];
	int waited = 0, status;

	snprintf(sock, sizeof(sock), "%s/nbd.sock", img->dir);
	for (;;) {
		pid_t r = waitpid(img->pid, &status, WNOHANG);

		if (r == img->pid) {
			img->pid = 0;
			daemon_reason(img, why, sizeof(why));
			if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
				snprintf(err, errlen,
					 "%s: %s is not installed (Debian: qemu-system-common)",
					 path, QSD_BINARY);
			else
				snprintf(err, errlen, "%s: %s could not open it%s", path,
					 QSD_BINARY, why);
			return -EIO;
		}
		if (access(sock, F_OK) == 0) {
			int e;

			if (nbd_connect_unix(img->nbd, sock) == 0)
				return 0;
			/* Not listening yet is worth waiting for; anything else is an answer. */
			e = nbd_get_errno();
			if (e != ECONNREFUSED && e != ENOENT && e != EAGAIN) {
				snprintf(err, errlen, "%s: cannot reach %s: %s", path, QSD_BINARY,
					 nbd_get_error());
				return e ? -e : -EIO;
			}
		}
		if (waited >= QSD_START_MS) {
			snprintf(err, errlen, "%s: %s did not start within %d s: %s", path,
				 QSD_BINARY, QSD_START_MS / 1000,
				 nbd_get_error() ? nbd_get_error() : "no socket");
			return -ETIMEDOUT;
		}
		if (access(sock, F_OK) == 0) {
			/* A failed connect leaves the handle dead: start again with a new one. */
			nbd_close(img->nbd);
			img->nbd = new_handle();
			if (!img->nbd) {
				snprintf(err, errlen, "libnbd: %s", nbd_get_error());
				return -ENOMEM;
			}
		}
		nanosleep(&pause, NULL);
		waited += 20;
	}
}

int blk_image_start(const char *path, const char *format, bool readonly, bool direct, bool no_flush,
		    struct blk_image **out, char *err, size_t errlen)
{
	struct blk_image *img;
	int64_t size;
	int ret;

	*out = NULL;
	if (!blk_image_format_known(format)) {
		snprintf(err, errlen, "%s: unknown disk format '%s'", path, format);
		return -EINVAL;
	}
	if (access(path, readonly ? R_OK : R_OK | W_OK)) {
		ret = -errno;
		snprintf(err, errlen, "cannot open %s %s: %s", path,
			 readonly ? "read-only" : "read-write", strerror(errno));
		return ret;
	}
	img = calloc(1, sizeof(*img));
	if (!img)
		return -ENOMEM;
	snprintf(img->dir, sizeof(img->dir), "/tmp/sv-image-XXXXXX");
	if (!mkdtemp(img->dir)) {
		ret = -errno;
		snprintf(err, errlen, "cannot make a private directory: %s", strerror(errno));
		img->dir[0] = '\0';
		goto out;
	}
	img->nbd = new_handle();
	if (!img->nbd) {
		ret = -ENOMEM;
		snprintf(err, errlen, "libnbd: %s", nbd_get_error());
		goto out;
	}
	ret = spawn_daemon(img, path, format, readonly, direct, no_flush, err, errlen);
	if (!ret)
		ret = connect_daemon(img, path, err, errlen);
	if (ret)
		goto out;
	size = nbd_get_size(img->nbd);
	if (size < 0) {
		ret = -EIO;
		snprintf(err, errlen, "%s: the image has no size: %s", path, nbd_get_error());
		goto out;
	}
	if (!readonly && nbd_is_read_only(img->nbd) == 1) {
		ret = -EROFS;
		snprintf(err, errlen, "%s: served read-only", path);
		goto out;
	}
	img->bytes = (uint64_t)size;
	img->can_flush = nbd_can_flush(img->nbd) == 1;
	img->can_trim = !readonly && nbd_can_trim(img->nbd) == 1;
	*out = img;
	return 0;
out:
	blk_image_close(img);
	return ret;
}

uint64_t blk_image_bytes(const struct blk_image *img)
{
	return img->bytes;
}

bool blk_image_can_trim(const struct blk_image *img)
{
	return img->can_trim;
}

int blk_image_pid(const struct blk_image *img)
{
	return (int)img->pid;
}

/* SIGTERM lets it finish its writes; one that takes longer than QSD_STOP_MS is killed. */
static void stop_daemon(pid_t pid)
{
	struct timespec pause = { 0, 10 * 1000 * 1000 };
	int waited;

	kill(pid, SIGTERM);
	for (waited = 0; waited < QSD_STOP_MS; waited += 10) {
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return;
		nanosleep(&pause, NULL);
	}
	log_warn("%s (pid %d) did not stop within %d ms: killed", QSD_BINARY, (int)pid,
		 QSD_STOP_MS);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

void blk_image_close(struct blk_image *img)
{
	char path[96];

	if (!img)
		return;
	if (img->nbd) {
		/* Tells the server to finish what it has and flush; then the connection goes. */
		nbd_shutdown(img->nbd, 0);
		nbd_close(img->nbd);
	}
	if (img->pid > 0)
		stop_daemon(img->pid);
	if (img->dir[0]) {
		snprintf(path, sizeof(path), "%s/nbd.sock", img->dir);
		unlink(path);
		snprintf(path, sizeof(path), "%s/qsd.log", img->dir);
		unlink(path);
		rmdir(img->dir);
	}
	free(img);
}

static int nbd_errno(void)
{
	int e = nbd_get_errno();

	return e ? -e : -EIO;
}

int blk_image_pread(struct blk_image *img, void *buf, size_t len, uint64_t offset)
{
	while (len) {
		size_t n = len < IMG_MAX_XFER ? len : IMG_MAX_XFER;

		if (nbd_pread(img->nbd, buf, n, offset, 0))
			return nbd_errno();
		buf = (uint8_t *)buf + n;
		offset += n;
		len -= n;
	}
	return 0;
}

int blk_image_pwrite(struct blk_image *img, const void *buf, size_t len, uint64_t offset)
{
	while (len) {
		size_t n = len < IMG_MAX_XFER ? len : IMG_MAX_XFER;

		if (nbd_pwrite(img->nbd, buf, n, offset, 0))
			return nbd_errno();
		buf = (const uint8_t *)buf + n;
		offset += n;
		len -= n;
	}
	return 0;
}

int blk_image_flush(struct blk_image *img)
{
	if (!img->can_flush)
		return 0; /* the server writes through: nothing is held back */
	return nbd_flush(img->nbd, 0) ? nbd_errno() : 0;
}

int blk_image_discard(struct blk_image *img, uint64_t len, uint64_t offset)
{
	while (len) {
		uint64_t n = len < IMG_MAX_XFER ? len : IMG_MAX_XFER;

		if (nbd_trim(img->nbd, n, offset, 0))
			return nbd_errno();
		offset += n;
		len -= n;
	}
	return 0;
}
