// SPDX-License-Identifier: MIT
/*
 * Both directories of a device (devdir.h). The order is libxl's: the
 * backend's directory first, then the frontend's, so a frontend that sees its
 * directory finds the backend's already there.
 */
#include <stdio.h>

#include <splitvisor/xs_wire.h>

#include "devdir.h"
#include "xs_local.h"

static int devdir_key(struct xs_local *xs, const char *dir, const char *key, const char *val)
{
	char path[160];

	snprintf(path, sizeof(path), "%s/%s", dir, key);
	return xsl_write(xs, path, val);
}

/* A directory owned by owner and readable by reader, as Xen's device directories are. */
static int devdir_mkdir(struct xs_local *xs, const char *path, uint32_t owner, uint32_t reader)
{
	char perms[32];
	size_t plen;
	int ret;

	ret = xsl_call(xs, XS_MKDIR, path, NULL, 0, NULL, 0);
	plen = (size_t)snprintf(perms, sizeof(perms), "n%u%cr%u", owner, 0, reader) + 1;
	if (ret >= 0)
		ret = xsl_set_perms(xs, path, perms, plen);
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

int devdir_write(struct xs_local *xs, const char *be, const char *fe, uint32_t domid,
		 const struct devdir_key *be_keys, const struct devdir_key *fe_keys)
{
	char num[16];
	int ret;

	snprintf(num, sizeof(num), "%u", domid);
	ret = devdir_mkdir(xs, be, 0, domid);
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
	if (ret >= 0)
		ret = devdir_mkdir(xs, fe, domid, 0);
	if (ret >= 0)
		ret = devdir_key(xs, fe, "backend", be);
	if (ret >= 0)
		ret = devdir_key(xs, fe, "backend-id", "0");
	if (ret >= 0)
		ret = devdir_keys(xs, fe, fe_keys);
	if (ret >= 0)
		ret = devdir_key(xs, fe, "state", "1");
	return ret < 0 ? ret : 0;
}
