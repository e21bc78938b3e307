/* SPDX-License-Identifier: MIT */
/*
 * libvirt's memory units: b/byte/bytes; a power letter (k m g t p e) alone or followed by
 * "iB" is a power of 1024, followed by "B" a power of 1000. Case does not matter, as in
 * libvirt. Values are converted through bytes, so anything whose byte count does not fit in
 * 64 bits is refused even where the KiB figure would fit: libvirt behaves the same way.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "xml_internal.h"

static int unit_scale(const char *unit, uint64_t *scale)
{
	static const char powers[] = "kmgtpe";
	const char *power;
	uint64_t base, factor = 1;
	size_t i, exponent;

	if (!unit) {
		*scale = 1024;
		return 0;
	}
	if (strcasecmp(unit, "b") == 0 || strcasecmp(unit, "byte") == 0 ||
	    strcasecmp(unit, "bytes") == 0) {
		*scale = 1;
		return 0;
	}
	if (!unit[0])
		return -EINVAL;
	power = strchr(powers, unit[0] | 0x20);
	if (!power || !unit[0])
		return -EINVAL;
	if (unit[1] == '\0' || strcasecmp(unit + 1, "ib") == 0)
		base = 1024;
	else if (strcasecmp(unit + 1, "b") == 0)
		base = 1000;
	else
		return -EINVAL;
	exponent = (size_t)(power - powers) + 1;
	/* 1000^6 and 1024^6 both fit in 64 bits, so no overflow check is needed here. */
	for (i = 0; i < exponent; i++)
		factor *= base;
	*scale = factor;
	return 0;
}

int sv_xml_scale_to_kib(const char *value, const char *unit, uint64_t *kib)
{
	uint64_t number, scale, bytes;
	int ret;

	ret = unit_scale(unit, &scale);
	if (ret < 0)
		return ret;
	ret = sv_xml_parse_u64(value, &number);
	if (ret < 0)
		return ret;
	if (__builtin_mul_overflow(number, scale, &bytes))
		return -ERANGE;
	/* Round up like libvirt: asking for 1 byte still gets a KiB. */
	*kib = bytes / 1024 + (bytes % 1024 != 0);
	return 0;
}
