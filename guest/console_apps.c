// SPDX-License-Identifier: MIT
/*
 * console-echo: reads lines from the PV console and echoes them uppercased until "quit".
 * console-bad: a guest that breaks its console ring.
 */
#include <errno.h>
#include <string.h>
#include <splitvisor/console.h>

#include "apps.h"
#include "boot_info.h"
#include "console.h"
#include "evtchn.h"
#include "ktime.h"

#define ECHO_LINE_MAX 128u

static void upcase(char *s)
{
	for (; *s; s++)
		if (*s >= 'a' && *s <= 'z')
			*s = (char)(*s - 'a' + 'A');
}

int console_echo_main(int argc, char **argv)
{
	char line[ECHO_LINE_MAX];
	size_t len = 0;
	int c;

	(void)argc;
	(void)argv;
	printk("console-echo: ready\n");
	for (;;) {
		c = console_getc(0);
		if (c == -ENOENT) {
			printk("console-echo: no console backend\n");
			return 1;
		}
		if (c < 0) {
			printk("console-echo: read: %d\n", c);
			return 1;
		}
		/* A terminal in raw mode sends CR for Enter. */
		if (c != '\n' && c != '\r') {
			if (len < sizeof(line) - 1)
				line[len++] = (char)c;
			continue;
		}
		line[len] = '\0';
		len = 0;
		if (!strcmp(line, "quit")) {
			printk("console-echo: bye\n");
			return 0;
		}
		if (!line[0])
			continue;
		upcase(line);
		printk("%s\n", line);
	}
}

/*
 * console-bad: breaks its own console ring's indices, as a hostile guest
 * would, and kicks the backend. svdom0 must notice, say so in the log and go
 * on; our output then takes the hypercall.
 */
int console_bad_main(int argc, char **argv)
{
	struct sv_console_ring *r =
		(struct sv_console_ring *)(uintptr_t)start_info->console_ring_gpa;

	(void)argc;
	(void)argv;
	if (!start_info->console_evtchn) {
		printk("console-bad: no console ring\n");
		return 1;
	}
	printk("console-bad: breaking the ring\n");
	console_flush();
	__atomic_store_n(&r->out_prod, r->out_cons + 0x10000u, __ATOMIC_RELEASE);
	__atomic_store_n(&r->in_prod, r->in_cons - 0x10000u, __ATOMIC_RELEASE);
	evtchn_send(start_info->console_evtchn);
	msleep(500);
	printk("console-bad: still here\n");
	return 0;
}
