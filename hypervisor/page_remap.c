// SPDX-License-Identifier: MIT
/*
 * Grant maps for process domains that may not see a guest's RAM memfd (driver
 * domains). A granted page is moved out of the RAM memfd into a 1-page memfd
 * of its own, mapped with MAP_FIXED over the same address in the core's RAM
 * mapping: KVM follows the core's page tables through its MMU notifiers, so
 * the guest (and the core itself) now use the new page, and the process domain
 * gets a memfd that holds that page and nothing else. Restoring copies the
 * page back into the RAM memfd and maps the RAM memfd there again.
 *
 * Both directions run with the guest paused, so no vCPU writes the page
 * between the copy and the MAP_FIXED. While a page is moved, a mapping of the
 * RAM memfd made elsewhere (dom0's backends) sees the page as it was: only
 * pages granted to a process domain are moved, and nobody else may use them.
 *
 * The table of moved pages is per domain with a count, so two maps of one page
 * share it; sv_domain_free() drops whatever is left (the RAM mapping goes with
 * it). Callers are svcored's main thread: remap_lock only guards against the
 * domain's end running beside it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <splitvisor/core.h>

#include "domain_priv.h"

#define PAGE 4096u

static struct page_remap *remap_find(struct sv_domain *d, uint64_t gpa)
{
	unsigned int i;

	for (i = 0; i < d->nr_remaps; i++)
		if (d->remaps[i].gpa == gpa)
			return &d->remaps[i];
	return NULL;
}

/* Paused if it ran; an ended or already paused domain has no vCPU in the guest to stop. */
static bool remap_hold(struct sv_domain *d)
{
	return sv_domain_pause(d) == 0;
}

static void remap_release(struct sv_domain *d, bool held)
{
	if (held)
		sv_domain_unpause(d);
}

/*
 * A memfd holding a copy of the page at hva: it may neither shrink nor grow, so
 * its holder cannot make the guest's or the core's accesses to it fault, and
 * its mode keeps a readonly holder from reopening it writable (/proc/self/fd).
 */
static int remap_memfd(const void *hva, int *out)
{
	int fd, ret = 0;

	fd = memfd_create("sv-gntmap", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	errno = 0; /* a short pwrite sets none */
	if (ftruncate(fd, PAGE) < 0 || pwrite(fd, hva, PAGE, 0) != (ssize_t)PAGE ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0 ||
	    fchmod(fd, 0400) < 0)
		ret = errno ? -errno : -EIO;
	if (ret) {
		close(fd);
		return ret;
	}
	*out = fd;
	return 0;
}

int sv_domain_page_remap(struct sv_domain *d, uint64_t gpa, bool readonly, int *page_fd)
{
	struct page_remap *r, *n;
	uint8_t *hva;
	char path[64];
	bool held = false;
	int fd = -1, ret = 0;

	if (gpa % PAGE || !(hva = guest_ptr(&d->mem, gpa, PAGE)))
		return -EINVAL;
	pthread_mutex_lock(&d->remap_lock);
	r = remap_find(d, gpa);
	if (!r) {
		n = realloc(d->remaps, (d->nr_remaps + 1) * sizeof(*n));
		if (!n) {
			ret = -ENOMEM;
			goto out;
		}
		d->remaps = n;
		held = remap_hold(d);
		ret = remap_memfd(hva, &fd);
		if (ret)
			goto out;
		if (mmap(hva, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0) ==
		    MAP_FAILED) {
			ret = -errno;
			goto out;
		}
		r = &d->remaps[d->nr_remaps++];
		r->gpa = gpa;
		r->fd = fd;
		r->refs = 0;
		fd = -1;
	}
	/* The page's holder writes only through a writable grant: hand the others a read-only open. */
	if (readonly) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", r->fd);
		fd = open(path, O_RDONLY | O_CLOEXEC);
	} else {
		fd = fcntl(r->fd, F_DUPFD_CLOEXEC, 0);
	}
	if (fd < 0) {
		ret = -errno;
		if (!r->refs)
			goto undo;
		goto out;
	}
	r->refs++;
	*page_fd = fd;
	fd = -1;
	goto out;
undo:
	/* Nobody holds the fresh page yet: the RAM memfd's copy is still the same. */
	mmap(hva, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, d->mem.fd, (off_t)gpa);
	close(r->fd);
	d->nr_remaps--;
out:
	remap_release(d, held);
	pthread_mutex_unlock(&d->remap_lock);
	if (fd >= 0)
		close(fd);
	return ret;
}

int sv_domain_page_restore(struct sv_domain *d, uint64_t gpa)
{
	struct page_remap *r;
	uint8_t *hva;
	bool held;
	int ret = 0;

	pthread_mutex_lock(&d->remap_lock);
	r = remap_find(d, gpa);
	if (!r) {
		ret = -ENOENT;
		goto out;
	}
	if (--r->refs)
		goto out;
	hva = d->mem.hva + gpa;
	held = remap_hold(d);
	errno = 0;
	/* What the guest and the process domain wrote lives on in the RAM memfd. */
	if (pwrite(d->mem.fd, hva, PAGE, (off_t)gpa) != (ssize_t)PAGE ||
	    mmap(hva, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, d->mem.fd,
		 (off_t)gpa) == MAP_FAILED) {
		ret = errno ? -errno : -EIO;
		r->refs++;
		remap_release(d, held);
		goto out;
	}
	remap_release(d, held);
	close(r->fd);
	*r = d->remaps[--d->nr_remaps];
out:
	pthread_mutex_unlock(&d->remap_lock);
	return ret;
}

unsigned int sv_domain_page_remaps(struct sv_domain *d)
{
	unsigned int n;

	pthread_mutex_lock(&d->remap_lock);
	n = d->nr_remaps;
	pthread_mutex_unlock(&d->remap_lock);
	return n;
}
