/* SPDX-License-Identifier: MIT */
/* svcored's control socket: clients, rights, and the domains it holds. */
#ifndef SV_CONTROL_SERVER_H
#define SV_CONTROL_SERVER_H

struct control_server;

/* listen_fd is a listening Unix socket; token is what proves domid 0. */
int control_server_new(int listen_fd, const char *token, struct control_server **out);
/* Serves until SV_CTL_STOP or until stop_fd (e.g. a signalfd) becomes readable. */
int control_server_run(struct control_server *srv, int stop_fd);
/* Destroys every domain and closes every client. */
void control_server_free(struct control_server *srv);

#endif
