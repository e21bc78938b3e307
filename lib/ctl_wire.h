/* SPDX-License-Identifier: MIT */
/*
 * Framing of the control socket (include/splitvisor/control.h), shared by
 * svcored, svdom0 and svctl: request validation, a non-blocking connection
 * with an output queue, blocking send/receive for clients, Unix sockets and
 * the run directory.
 */
#ifndef SV_CTL_WIRE_H
#define SV_CTL_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <splitvisor/control.h>

/* 0 if the request's payload fits its op exactly (lengths, NULs, ranges), else -errno. */
int wire_check_request(const struct sv_ctl_hdr *h, const void *payload, char *err, size_t errlen);
/* True if the string field of size bytes holds a NUL. */
bool wire_str_ok(const char *field, size_t size);
const char *wire_state_name(uint32_t state);

/* The most fds one message carries. */
#define SV_CTL_FDS_MAX 2u

struct wire_conn_msg;

/* One non-blocking framed connection; everything is sent in order, fds with their message. */
struct wire_conn {
	int fd;
	bool dead;
	int in_fds[SV_CTL_FDS_MAX]; /* passed by the peer, not yet taken */
	unsigned int in_nfds;
	size_t in_len;
	uint8_t in[SV_CTL_MSG_MAX];
	struct wire_conn_msg *head, *tail;
	size_t out_bytes;
};

void wire_conn_init(struct wire_conn *c, int fd);
/* Closes the socket and drops what is queued. */
void wire_conn_close(struct wire_conn *c);
/* Queues a message (pass_fd >= 0 is sent with it and stays the caller's). */
int wire_conn_queue(struct wire_conn *c, uint32_t op, uint32_t req_id, int32_t status,
		    const void *payload, size_t len, int pass_fd);
/* The same with up to SV_CTL_FDS_MAX fds, sent in this order. */
int wire_conn_queue_fds(struct wire_conn *c, uint32_t op, uint32_t req_id, int32_t status,
			const void *payload, size_t len, const int *fds, unsigned int nfds);
/* Queues an error reply carrying a sentence. */
int wire_conn_error(struct wire_conn *c, const struct sv_ctl_hdr *req, int status, const char *fmt,
		    ...) __attribute__((format(printf, 4, 5)));
/* Sends what the socket takes; sets dead on a hard error. */
void wire_conn_flush(struct wire_conn *c);
/* Reads what is there; 0 on progress or nothing, -EPIPE at EOF or error (dead is set). */
int wire_conn_read(struct wire_conn *c);
/*
 * The next complete message in the input: 1 with h and payload set (valid until
 * wire_conn_pop), 0 if incomplete, -EMSGSIZE if the header claims too much
 * (framing is lost: close the connection).
 */
int wire_conn_next(struct wire_conn *c, struct sv_ctl_hdr *h, const void **payload);
/* Drops the message; once no input is left, closes the fds that came with it. */
void wire_conn_pop(struct wire_conn *c);
/*
 * The oldest fd the peer passed and nobody took (now the caller's), or -1.
 * Call it while handling the message that carried it.
 */
int wire_conn_take_fd(struct wire_conn *c);
/* Closes the passed fds nobody took. */
void wire_conn_drop_fds(struct wire_conn *c);

/* Blocking helpers for clients. */
int wire_msg_send(int fd, uint32_t op, uint32_t req_id, int32_t status, const void *payload,
		  size_t len);
/*
 * Receives one whole message; the payload must fit cap (else -EMSGSIZE). An fd
 * passed with it lands in *fd_out if fd_out is given, else it is closed.
 * timeout_ms < 0 waits forever; -ETIMEDOUT when nothing came.
 */
int wire_msg_recv(int fd, struct sv_ctl_hdr *h, void *payload, size_t cap, int *fd_out,
		  int timeout_ms);
/* The same keeping up to max passed fds in order (*nfds of them); extra ones are closed. */
int wire_msg_recv_fds(int fd, struct sv_ctl_hdr *h, void *payload, size_t cap, int *fds, size_t max,
		      size_t *nfds, int timeout_ms);

int wire_unix_listen(const char *path);
int wire_unix_connect(const char *path);

/* $SPLITVISOR_RUN_DIR, else $XDG_RUNTIME_DIR/splitvisor, /run/splitvisor as root, else /tmp/splitvisor-<uid>. */
int wire_run_dir(char *buf, size_t len);
/* Creates the run directory (mode 0700) if needed. */
int wire_run_dir_make(const char *dir);

#endif
