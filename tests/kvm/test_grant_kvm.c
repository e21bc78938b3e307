// SPDX-License-Identifier: MIT
/*
 * Grant tables end to end on KVM: the guest app grant-test grants two pages to
 * domid 0 and this process plays dom0 through the grant-access library on the
 * core's mapping. The handshake is described in guest/grant_test.c.
 */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <splitvisor/core.h>

#include "grant_access.h"

#define DOMID		5
#define MAGIC		0x31304e4754475653ull /* as guest/grant_test.c */
#define STEP_TIMEOUT_MS 120000
#define PAGE		4096u

struct console {
	pthread_mutex_t lock;
	char buf[65536];
	size_t len;
};

static struct console con = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void con_write(void *opaque, const char *buf, size_t len)
{
	struct console *c = opaque;

	pthread_mutex_lock(&c->lock);
	if (len > sizeof(c->buf) - 1 - c->len)
		len = sizeof(c->buf) - 1 - c->len;
	memcpy(c->buf + c->len, buf, len);
	c->len += len;
	c->buf[c->len] = '\0';
	pthread_mutex_unlock(&c->lock);
	fwrite(buf, 1, len, stdout);
}

/* Copies the console line that starts with what into line; false on timeout or guest end. */
static bool wait_line(struct sv_domain *d, const char *what, char *line, size_t size)
{
	int waited;

	for (waited = 0; waited < STEP_TIMEOUT_MS; waited += 10) {
		const char *p, *nl;
		bool found = false;

		pthread_mutex_lock(&con.lock);
		p = strstr(con.buf, what);
		nl = p ? strchr(p, '\n') : NULL;
		if (nl) {
			snprintf(line, size, "%.*s", (int)(nl - p), p);
			found = true;
		}
		pthread_mutex_unlock(&con.lock);
		if (found)
			return true;
		/* Doubles as the 10 ms sleep; 0 means the guest ended before the line. */
		if (!sv_domain_wait(d, 10, NULL))
			return false;
	}
	return false;
}

static uint8_t pattern_byte(uint32_t i)
{
	return (uint8_t)(i * 7 + 3);
}

START_TEST(guest_grants_host_maps)
{
	struct sv_domain_params p = {
		.name = "grant",
		.domid = DOMID,
		.memory_mib = 32,
		.vcpus = 1,
		.kernel = SV_GUEST_KERNEL,
		.cmdline = "grant-test",
		.console = con_write,
		.console_opaque = &con,
	};
	struct gnt_mapper dom0, dom1;
	struct gnt_granter g = { .domid = DOMID };
	struct sv_domain_exit ex;
	struct gnt_stats st;
	struct sv_domain *d;
	char err[512], line[128];
	uint8_t *ro, *rw, copy[64];
	int memfd, ro_ref, rw_ref;
	void *hva, *bad, *page;
	uint32_t i;

	ck_assert_int_eq(gnt_mapper_init(&dom0, 0, 16), 0);
	ck_assert_int_eq(gnt_mapper_init(&dom1, 1, 16), 0);
	ck_assert_msg(sv_domain_create(&p, &d, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(sv_domain_grant_table(d, &g.table_gpa, &g.nr_frames), -ENOENT);
	ck_assert_int_eq(sv_domain_memory(d, &memfd, &hva, &g.ram_size), 0);
	ck_assert_int_ge(memfd, 0);
	ck_assert_uint_eq(g.ram_size, 32u << 20);
	g.ram = hva;
	ck_assert_int_eq(sv_domain_start(d), 0);

	ck_assert_msg(wait_line(d, "grant-test: ro=", line, sizeof(line)), "no ready line: %s",
		      con.buf);
	ck_assert_int_eq(sscanf(line, "grant-test: ro=%d rw=%d ready", &ro_ref, &rw_ref), 2);
	ck_assert_int_eq(sv_domain_grant_table(d, &g.table_gpa, &g.nr_frames), 0);
	ck_assert_uint_eq(g.nr_frames, 4);

	/* Read-only: the guest's pattern, and no way to write it. */
	ck_assert_int_eq(gnt_map(&dom0, &g, (uint32_t)ro_ref, true, &page), 0);
	ro = page;
	for (i = 0; i < PAGE; i++)
		ck_assert_uint_eq(ro[i], pattern_byte(i));
	ck_assert_int_eq(gnt_map(&dom0, &g, (uint32_t)ro_ref, false, &bad), -EACCES);
	ck_assert_int_eq(gnt_copy(&dom0, &g, (uint32_t)ro_ref, SV_GNT_COPY_FROM_GRANT, 4000, copy,
				  sizeof(copy)),
			 0);
	ck_assert_uint_eq(copy[0], pattern_byte(4000));
	/* Granted to domid 0, not 1. */
	ck_assert_int_eq(gnt_map(&dom1, &g, (uint32_t)rw_ref, false, &bad), -EPERM);
	ck_assert_int_eq(gnt_map(&dom0, &g, 1u << 20, true, &bad), -EINVAL);

	ck_assert_int_eq(gnt_map(&dom0, &g, (uint32_t)rw_ref, false, &page), 0);
	rw = page;
	__atomic_store_n((uint64_t *)rw, MAGIC, __ATOMIC_RELEASE);
	/* We hold rw mapped until the guest has seen its revoke refused. */
	ck_assert_msg(wait_line(d, "grant-test: end refused", line, sizeof(line)),
		      "no refusal line: %s", con.buf);
	ck_assert_int_eq(gnt_unmap(&dom0, &g, (uint32_t)rw_ref, false), 0);
	ck_assert_int_eq(gnt_unmap(&dom0, &g, (uint32_t)ro_ref, true), 0);

	ck_assert_int_eq(sv_domain_wait(d, STEP_TIMEOUT_MS, &ex), 0);
	ck_assert_msg(ex.reason == SV_EXIT_POWEROFF && ex.code == 0, "exit %s %d: %s\n%s",
		      sv_exit_reason_name(ex.reason), ex.code, ex.detail, con.buf);
	ck_assert_ptr_nonnull(strstr(con.buf, "grant-test: ended"));

	gnt_stats_get(&dom0, &st);
	ck_assert_uint_eq(st.maps, 2);
	ck_assert_uint_eq(st.unmaps, 2);
	ck_assert_uint_eq(st.copies, 1);
	ck_assert_uint_eq(st.readonly, 1);
	ck_assert_uint_eq(st.bad_ref, 1);
	gnt_stats_get(&dom1, &st);
	ck_assert_uint_eq(st.wrong_domid, 1);
	gnt_mapper_destroy(&dom0);
	gnt_mapper_destroy(&dom1);
	sv_domain_free(d);
}
END_TEST

int main(void)
{
	char why[256];
	SRunner *sr;
	TCase *tc;
	Suite *s;
	int failed;

	if (sv_kvm_probe(why, sizeof(why))) {
		printf("SKIP: %s\n", why);
		return 77;
	}
	s = suite_create("grant_kvm");
	tc = tcase_create("kvm");
	tcase_set_timeout(tc, 500);
	tcase_add_test(tc, guest_grants_host_maps);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
