// SPDX-License-Identifier: MIT
/*
 * Both directories of a device (devdir.h). The order is libxl's: the
 * backend's directory first, then the frontend's, so a frontend that sees its
 * directory finds the backend's already there.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <splitvisor/xenbus.h>
#include <splitvisor/xs_wire.h>

#include "devdir.h"
#include "xs_local.h"

/* Frontend directories hold a level or two (netfront's queue-N/); deeper is not ours. */
#define DEVDIR_GRANT_DEPTH 3

static int devdir_key(struct xs_local *xs, const char *dir, const char *key, const char *val)
{
	char path[160];

	snprintf(path, sizeof(path), "%s/%s", dir, key);
	return xsl_write(xs, path, val);
}

static int devdir_perms(struct xs_local *xs, const char *path, uint32_t owner, uint32_t reader)
{
	char perms[32];
	size_t plen;

	plen = (size_t)snprintf(perms, sizeof(perms), "n%u%cr%u", owner, 0, reader) + 1;
	return xsl_set_perms(xs, path, perms, plen);
}

/* A directory owned by owner and readable by reader, as Xen's device directories are. */
static int devdir_mkdir(struct xs_local *xs, const char *path, uint32_t owner, uint32_t reader)
{
	int ret;

	ret = xsl_call(xs, XS_MKDIR, path, NULL, 0, NULL, 0);
	if (ret >= 0)
		ret = devdir_perms(xs, path, owner, reader);
	return ret;
}

static int devdir_keys(struct xs_local *xs, const char *dir, const struct devdir_key *keys)
{
	int ret = 0;

	for (; keys && keys->key && ret >= 0; keys++)
		if (keys->val)
			ret = devdir_key(xs, dir, keys->key, keys->val);
	return ret;
}

int devdir_write_backend(struct xs_local *xs, const char *be, const char *fe, uint32_t domid,
			 uint32_t be_domid, const struct devdir_key *be_keys)
{
	char num[16];
	int ret;

	snprintf(num, sizeof(num), "%u", domid);
	ret = devdir_mkdir(xs, be, be_domid, domid);
	if (ret >= 0)
		ret = devdir_key(xs, be, "frontend", fe);
	if (ret >= 0)
		ret = devdir_key(xs, be, "frontend-id", num);
	if (ret >= 0)
		ret = devdir_keys(xs, be, be_keys);
	if (ret >= 0)
		ret = devdir_key(xs, be, "online", "1");
	if (ret >= 0)
		ret = devdir_key(xs, be, "state", "1");
	return ret < 0 ? ret : 0;
}

int devdir_write(struct xs_local *xs, const char *be, const char *fe, uint32_t domid,
		 uint32_t be_domid, const struct devdir_key *be_keys,
		 const struct devdir_key *fe_keys)
{
	char num[16];
	int ret;

	ret = devdir_write_backend(xs, be, fe, domid, be_domid, be_keys);
	snprintf(num, sizeof(num), "%u", be_domid);
	if (ret >= 0)
		ret = devdir_mkdir(xs, fe, domid, be_domid);
	if (ret >= 0)
		ret = devdir_key(xs, fe, "backend", be);
	if (ret >= 0)
		ret = devdir_key(xs, fe, "backend-id", num);
	if (ret >= 0)
		ret = devdir_keys(xs, fe, fe_keys);
	if (ret >= 0)
		ret = devdir_key(xs, fe, "state", "1");
	return ret < 0 ? ret : 0;
}

static int devdir_grant_at(struct xs_local *xs, const char *path, uint32_t owner, uint32_t reader,
			   int depth)
{
	char list[XS_PAYLOAD_MAX + 1], child[XS_ABS_PATH_MAX];
	const char *name;
	int len, ret;

	ret = devdir_perms(xs, path, owner, reader);
	if (ret < 0 || depth == 0)
		return ret < 0 ? ret : 0;
	len = xsl_call(xs, XS_DIRECTORY, path, NULL, 0, list, sizeof(list) - 1);
	if (len < 0)
		return len;
	list[len] = '\0';
	for (name = list; name < list + len; name += strlen(name) + 1) {
		if (!*name)
			continue;
		if ((size_t)snprintf(child, sizeof(child), "%s/%s", path, name) >= sizeof(child))
			continue;
		ret = devdir_grant_at(xs, child, owner, reader, depth - 1);
		if (ret < 0)
			return ret;
	}
	return 0;
}

int devdir_grant(struct xs_local *xs, const char *fe, uint32_t domid, uint32_t be_domid)
{
	return devdir_grant_at(xs, fe, domid, be_domid, DEVDIR_GRANT_DEPTH);
}

int devdir_state(struct xs_local *xs, const char *dir)
{
	char path[XS_ABS_PATH_MAX];
	uint64_t st;

	snprintf(path, sizeof(path), "%s/state", dir);
	if (xsl_read_u64(xs, path, &st) < 0 || st > XENBUS_STATE_CLOSED)
		return XENBUS_STATE_UNKNOWN;
	return (int)st;
}

bool devdir_fe_gone(struct xs_local *xs, const char *fe)
{
	int st = devdir_state(xs, fe);

	/* No state, or not a number, counts as Unknown: nothing to wait for. */
	return st == XENBUS_STATE_CLOSED || st == XENBUS_STATE_UNKNOWN ||
	       st == XENBUS_STATE_INITIALISING;
}

void devdir_unplug_backend(struct xs_local *xs, const char *be)
{
	char path[XS_ABS_PATH_MAX];

	snprintf(path, sizeof(path), "%s/online", be);
	xsl_write(xs, path, "0");
	snprintf(path, sizeof(path), "%s/state", be);
	xsl_write(xs, path, "5");
}

size_t devdir_table(char *buf, size_t cap, const char *head, const void *recs, size_t n,
		    size_t size, int (*line)(const void *rec, char *buf, size_t cap))
{
	const char *rec = recs;
	size_t off;
	int len;

	len = snprintf(buf, cap, "%s", head);
	if (len < 0 || (size_t)len >= cap)
		return 0;
	for (off = (size_t)len; n; n--, rec += size) {
		len = line(rec, buf + off, cap - off);
		if (len < 0 || (size_t)len >= cap - off)
			break;
		off += (size_t)len;
	}
	return off;
}
