/* SPDX-License-Identifier: MIT */
/* Lifetime and comparison of struct sv_domain_config, and UUID/MAC text forms. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "sv_xml.h"
#include "xml_internal.h"

static void disk_free(struct sv_disk_config *disk)
{
	free(disk->driver_name);
	free(disk->driver_type);
	free(disk->driver_cache);
	free(disk->source);
	free(disk->target_dev);
	free(disk->backend_domain);
}

static void net_free(struct sv_net_config *net)
{
	size_t i;

	for (i = 0; i < net->nips; i++)
		free(net->ips[i].address);
	free(net->ips);
	free(net->script);
	free(net->bridge);
	free(net->target_dev);
	free(net->backend_domain);
}

void sv_domain_config_free(struct sv_domain_config *cfg)
{
	size_t i;

	if (!cfg)
		return;
	for (i = 0; i < cfg->ndisks; i++)
		disk_free(&cfg->disks[i]);
	for (i = 0; i < cfg->nnets; i++)
		net_free(&cfg->nets[i]);
	free(cfg->disks);
	free(cfg->nets);
	for (i = 0; i < cfg->nkept; i++)
		free(cfg->kept[i].xml);
	free(cfg->kept);
	free(cfg->warnings);
	free(cfg->consoles);
	free(cfg->name);
	free(cfg->title);
	free(cfg->description);
	free(cfg->machine);
	free(cfg->kernel);
	free(cfg->initrd);
	free(cfg->cmdline);
	free(cfg->bootloader);
	free(cfg->bootloader_args);
	memset(cfg, 0, sizeof(*cfg));
	cfg->domid = SV_DOMID_NONE;
}

static bool str_equal(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

static bool disk_equal(const struct sv_disk_config *a, const struct sv_disk_config *b)
{
	return a->type == b->type && a->device == b->device && a->readonly == b->readonly &&
	       str_equal(a->driver_name, b->driver_name) &&
	       str_equal(a->driver_type, b->driver_type) &&
	       str_equal(a->driver_cache, b->driver_cache) && str_equal(a->source, b->source) &&
	       str_equal(a->target_dev, b->target_dev) && a->format == b->format &&
	       str_equal(a->backend_domain, b->backend_domain);
}

static bool ips_equal(const struct sv_net_config *a, const struct sv_net_config *b)
{
	size_t i;

	if (a->nips != b->nips)
		return false;
	for (i = 0; i < a->nips; i++) {
		if (!str_equal(a->ips[i].address, b->ips[i].address) ||
		    a->ips[i].prefix != b->ips[i].prefix ||
		    a->ips[i].has_prefix != b->ips[i].has_prefix ||
		    a->ips[i].ipv6 != b->ips[i].ipv6)
			return false;
	}
	return true;
}

static bool net_equal(const struct sv_net_config *a, const struct sv_net_config *b)
{
	return a->type == b->type && memcmp(a->mac, b->mac, SV_MAC_LEN) == 0 &&
	       str_equal(a->bridge, b->bridge) && str_equal(a->target_dev, b->target_dev) &&
	       str_equal(a->backend_domain, b->backend_domain) &&
	       !memcmp(&a->inbound, &b->inbound, sizeof(a->inbound)) &&
	       !memcmp(&a->outbound, &b->outbound, sizeof(a->outbound)) &&
	       str_equal(a->script, b->script) && ips_equal(a, b);
}

/* The kept elements under <domain> or under <devices>, in order: the formatter writes the
 * two groups apart, so their relative order is not part of the config. */
static bool kept_equal(const struct sv_domain_config *a, const struct sv_domain_config *b,
		       bool in_devices)
{
	size_t i = 0, j = 0;

	for (;;) {
		while (i < a->nkept && a->kept[i].in_devices != in_devices)
			i++;
		while (j < b->nkept && b->kept[j].in_devices != in_devices)
			j++;
		if (i == a->nkept || j == b->nkept)
			return i == a->nkept && j == b->nkept;
		if (!str_equal(a->kept[i].xml, b->kept[j].xml))
			return false;
		i++;
		j++;
	}
}

bool sv_domain_config_equal(const struct sv_domain_config *a, const struct sv_domain_config *b)
{
	size_t i;

	if (a->domid != b->domid || !str_equal(a->name, b->name) ||
	    memcmp(a->uuid, b->uuid, SV_UUID_LEN) != 0 || strcmp(a->uuid_str, b->uuid_str) != 0 ||
	    !str_equal(a->title, b->title) || !str_equal(a->description, b->description))
		return false;
	if (a->memory_kib != b->memory_kib || a->current_memory_kib != b->current_memory_kib ||
	    a->vcpus != b->vcpus || a->current_vcpus != b->current_vcpus)
		return false;
	if (a->os_type != b->os_type || !str_equal(a->machine, b->machine) ||
	    !str_equal(a->kernel, b->kernel) || !str_equal(a->initrd, b->initrd) ||
	    !str_equal(a->cmdline, b->cmdline) || !str_equal(a->bootloader, b->bootloader) ||
	    !str_equal(a->bootloader_args, b->bootloader_args))
		return false;
	if (a->has_clock != b->has_clock || a->clock_offset != b->clock_offset ||
	    a->has_xenbus != b->has_xenbus || a->max_grant_frames != b->max_grant_frames ||
	    a->max_event_channels != b->max_event_channels || !kept_equal(a, b, false) ||
	    !kept_equal(a, b, true))
		return false;
	if (a->on_poweroff != b->on_poweroff || a->on_reboot != b->on_reboot ||
	    a->on_crash != b->on_crash)
		return false;
	if (a->ndisks != b->ndisks || a->nnets != b->nnets || a->nconsoles != b->nconsoles)
		return false;
	for (i = 0; i < a->ndisks; i++) {
		if (!disk_equal(&a->disks[i], &b->disks[i]))
			return false;
	}
	for (i = 0; i < a->nnets; i++) {
		if (!net_equal(&a->nets[i], &b->nets[i]))
			return false;
	}
	for (i = 0; i < a->nconsoles; i++) {
		if (a->consoles[i].port != b->consoles[i].port)
			return false;
	}
	return true;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Like libvirt: 32 hex digits, dashes and blanks anywhere between them are skipped. */
int sv_uuid_parse(const char *text, uint8_t uuid[SV_UUID_LEN])
{
	size_t digits = 0;
	int hi = -1, value;

	for (; *text; text++) {
		if (*text == '-' || *text == ' ' || *text == '\t' || *text == '\n' || *text == '\r')
			continue;
		value = hex_value(*text);
		if (value < 0 || digits == 2 * SV_UUID_LEN)
			return -EINVAL;
		if (hi < 0) {
			hi = value;
		} else {
			uuid[digits / 2] = (uint8_t)(hi << 4 | value);
			hi = -1;
		}
		digits++;
	}
	return digits == 2 * SV_UUID_LEN ? 0 : -EINVAL;
}

void sv_uuid_format(const uint8_t uuid[SV_UUID_LEN], char out[SV_UUID_STRLEN + 1])
{
	snprintf(out, SV_UUID_STRLEN + 1,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", uuid[0],
		 uuid[1], uuid[2], uuid[3], uuid[4], uuid[5], uuid[6], uuid[7], uuid[8], uuid[9],
		 uuid[10], uuid[11], uuid[12], uuid[13], uuid[14], uuid[15]);
}

int sv_random_bytes(void *buf, size_t len)
{
	uint8_t *bytes = buf;
	ssize_t n;

	while (len > 0) {
		n = getrandom(bytes, len, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		bytes += n;
		len -= (size_t)n;
	}
	return 0;
}
