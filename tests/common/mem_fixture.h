/* SPDX-License-Identifier: MIT */
/*
 * The Check fixture of the loader tests: a fresh guest RAM of MEM_FIXTURE_SIZE bytes in
 * `mem` for every test, and `err` emptied. Define MEM_FIXTURE_SIZE and MEM_FIXTURE_NAME
 * before including it, after guest_mem.h.
 */
#ifndef SV_TEST_MEM_FIXTURE_H
#define SV_TEST_MEM_FIXTURE_H

#include <check.h>

static struct guest_mem mem;
static char err[512];

static void setup(void)
{
	ck_assert_int_eq(guest_mem_create(&mem, MEM_FIXTURE_NAME, MEM_FIXTURE_SIZE), 0);
	err[0] = '\0';
}

static void teardown(void)
{
	guest_mem_destroy(&mem);
}

#endif
