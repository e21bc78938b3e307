// SPDX-License-Identifier: MIT
/*
 * Process domains (driver domains) in svcored's control server: the domid,
 * the connection that is their identity, and the few ops they may use
 * (include/splitvisor/control.h, "Process domains"). A process domain never
 * sees a guest's RAM: the core checks every grant with lib/grant_access.c as
 * the process domain's mapper and copies or moves pages for it, binds only
 * the ports a guest offered to its domid, and raises those ports from a send
 * eventfd the process writes. When the connection closes, all of it is undone.
 * control_server.c calls in here; it never calls back except through cs_priv.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <splitvisor/control.h>
#include <splitvisor/core.h>

#include "cs_priv.h"
#include "grant_access.h"
#include "log.h"

#define PD_MAX_REFS 4096u /* distinct refs one process domain may hold mapped */
#define PD_MAX_MAPS 4096u /* maps, nested ones counted: each costs the core memory */
#define PD_PAGE	    4096u

/* A guest port bound by a process domain; its send eventfd is in svcored's epoll. */
struct pd_port {
	enum cs_kind kind; /* CS_KIND_PORT: the epoll tag */
	struct pd_port *next;
	struct cs_procdom *pd;
	uint32_t guest, port;
	int send_fd;
};

struct pd_map {
	struct pd_map *next;
	uint32_t guest, ref;
	bool readonly;
	uint64_t gpa;
};

struct cs_procdom {
	struct cs_procdom *next;
	uint32_t domid;
	char name[SV_CTL_NAME_SIZE];
	struct cs_client *client;
	struct gnt_mapper mapper; /* domid = ours: grants must name it */
	uint8_t *area;		  /* the process's grant area, mapped shared */
	uint64_t area_size;
	struct pd_port *ports;
	struct pd_map *maps;
	unsigned int nr_maps;
	struct sv_ctl_gnt_copy_seg *segs; /* the copy of a batch's segments */
	struct gnt_copy_op *ops;
};

uint32_t cs_procdom_domid(const struct cs_procdom *pd)
{
	return pd->domid;
}

bool cs_procdom_has(struct control_server *srv, uint32_t domid)
{
	struct cs_procdom *pd;

	for (pd = srv->procdoms; pd; pd = pd->next)
		if (pd->domid == domid)
			return true;
	return false;
}

bool cs_procdom_allowed(uint32_t op)
{
	switch (op) {
	case SV_CTL_HELLO:
	case SV_CTL_EVTCHN_BIND:
	case SV_CTL_EVTCHN_CLOSE:
	case SV_CTL_GNT_AREA:
	case SV_CTL_GNT_COPY:
	case SV_CTL_GNT_MAP:
	case SV_CTL_GNT_UNMAP:
		return true;
	}
	return false;
}

/*
 * The guest a process domain names, or NULL after an error reply. Undoing
 * (unmap, close) also works on an ended guest, whose RAM stays until DESTROY.
 */
static struct cs_domain *pd_guest(struct control_server *srv, struct cs_client *c,
				  const struct sv_ctl_hdr *h, uint32_t domid)
{
	struct cs_domain *dom = cs_find(srv, domid);

	if (!dom) {
		wire_conn_error(&c->conn, h, -ESRCH, "no domain %u", domid);
		return NULL;
	}
	if (h->op != SV_CTL_GNT_UNMAP && h->op != SV_CTL_EVTCHN_CLOSE && cs_domain_ended(dom)) {
		wire_conn_error(&c->conn, h, -ESRCH, "domain %u has ended", domid);
		return NULL;
	}
	return dom;
}

/* The guest as the grant checks see it; -ENOENT before it set up its table. */
static int pd_granter(struct cs_domain *dom, struct gnt_granter *g)
{
	void *hva;
	int fd;

	memset(g, 0, sizeof(*g));
	g->domid = (uint16_t)dom->domid;
	sv_domain_memory(dom->d, &fd, &hva, &g->ram_size);
	g->ram = hva;
	return sv_domain_grant_table(dom->d, &g->table_gpa, &g->nr_frames);
}

/*
 * Closes the guest's binding if it is still ours: the guest may have closed the
 * port and offered the number to another process since, whose binding stays.
 */
static void pd_port_unbind(struct cs_domain *dom, struct pd_port *p)
{
	if (!cs_domain_ended(dom) && sv_evtchn_process_domid(dom->d, p->port) == (int)p->pd->domid)
		sv_evtchn_close_process(dom->d, p->port);
}

static void pd_port_free(struct control_server *srv, struct pd_port *pp)
{
	cs_epoll_del(srv, pp->send_fd);
	close(pp->send_fd);
	free(pp);
}

/* Undoes one map: the page goes back into the guest's RAM memfd, the in-use bits go. */
static void pd_map_undo(struct cs_procdom *pd, struct cs_domain *dom, struct pd_map *m)
{
	struct gnt_granter g;
	int ret;

	pd->nr_maps--;
	ret = sv_domain_page_restore(dom->d, m->gpa);
	if (ret)
		log_err("process domain %u: cannot restore page %#llx of domain %u: %s", pd->domid,
			(unsigned long long)m->gpa, dom->domid, strerror(-ret));
	pd_granter(dom, &g);
	/*
	 * The mapper clears the bits where the entry was when mapped (a guest that moved its
	 * table since only loses its own bookkeeping), so no slot outlives the guest's RAM.
	 */
	gnt_unmap(&pd->mapper, &g, m->ref, m->readonly);
}

void cs_procdom_guest_gone(struct control_server *srv, struct cs_domain *dom)
{
	struct pd_port **pp, *p;
	struct pd_map **mp, *m;
	struct cs_procdom *pd;

	for (pd = srv->procdoms; pd; pd = pd->next) {
		for (pp = &pd->ports; (p = *pp);) {
			if (p->guest != dom->domid) {
				pp = &p->next;
				continue;
			}
			*pp = p->next;
			pd_port_free(srv, p); /* the guest's port table goes with it */
		}
		for (mp = &pd->maps; (m = *mp);) {
			if (m->guest != dom->domid) {
				mp = &m->next;
				continue;
			}
			*mp = m->next;
			pd_map_undo(pd, dom, m);
			free(m);
		}
	}
}

void cs_procdom_client_gone(struct control_server *srv, struct cs_client *c)
{
	struct cs_procdom *pd = c->procdom, **pp;
	unsigned int nports = 0, nmaps = 0;
	struct cs_domain *dom;
	struct pd_port *p;
	struct pd_map *m;

	if (!pd)
		return;
	while ((p = pd->ports)) {
		pd->ports = p->next;
		dom = cs_find(srv, p->guest);
		/* The guest's end becomes unbound for our domid again: a restart can bind it. */
		if (dom)
			pd_port_unbind(dom, p);
		pd_port_free(srv, p);
		nports++;
	}
	while ((m = pd->maps)) {
		pd->maps = m->next;
		dom = cs_find(srv, m->guest);
		if (dom)
			pd_map_undo(pd, dom, m);
		free(m);
		nmaps++;
	}
	gnt_unmap_all(&pd->mapper);
	gnt_mapper_destroy(&pd->mapper);
	if (pd->area)
		munmap(pd->area, pd->area_size);
	for (pp = &srv->procdoms; *pp != pd; pp = &(*pp)->next)
		;
	*pp = pd->next;
	log_info("process domain %u (%s) gone: %u ports closed, %u maps undone, domid free",
		 pd->domid, pd->name, nports, nmaps);
	free(pd->segs);
	free(pd->ops);
	free(pd);
	c->procdom = NULL;
}

void cs_procdom_create(struct control_server *srv, struct cs_client *c, const struct sv_ctl_hdr *h,
		       const struct sv_ctl_procdom *req)
{
	struct sv_ctl_domid reply = { 0 };
	struct cs_client *pc = NULL;
	struct cs_procdom *pd, *o;
	int sv[2] = { -1, -1 };
	int ret;

	for (o = srv->procdoms; o; o = o->next) {
		if (!strcmp(o->name, req->name)) {
			wire_conn_error(&c->conn, h, -EEXIST,
					"a process domain named %s exists (domid %u)", req->name,
					o->domid);
			return;
		}
	}
	pd = calloc(1, sizeof(*pd));
	if (pd) {
		pd->segs = calloc(SV_CTL_GNT_COPY_MAX, sizeof(*pd->segs));
		pd->ops = calloc(SV_CTL_GNT_COPY_MAX, sizeof(*pd->ops));
	}
	if (!pd || !pd->segs || !pd->ops) {
		ret = -ENOMEM;
		wire_conn_error(&c->conn, h, ret, "out of memory");
		goto out;
	}
	memcpy(pd->name, req->name, sizeof(pd->name));
	/* The requested domid if nobody has it (a restart keeps its domid), else any. */
	if (req->domid && !cs_find(srv, req->domid) && !cs_procdom_has(srv, req->domid))
		pd->domid = req->domid;
	else if ((ret = cs_alloc_domid(srv, &pd->domid))) {
		wire_conn_error(&c->conn, h, ret, "no free domid");
		goto out;
	}
	ret = gnt_mapper_init(&pd->mapper, (uint16_t)pd->domid, PD_MAX_REFS);
	if (ret) {
		wire_conn_error(&c->conn, h, ret, "cannot set up the grant mapper: %s",
				strerror(-ret));
		goto out;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0 ||
	    fcntl(sv[0], F_SETFL, O_NONBLOCK) < 0) {
		ret = -errno;
		wire_conn_error(&c->conn, h, ret, "cannot make the connection: %s", strerror(-ret));
		goto out;
	}
	ret = cs_client_add(srv, sv[0], &pc);
	if (ret) {
		wire_conn_error(&c->conn, h, ret, "cannot add the connection: %s", strerror(-ret));
		goto out;
	}
	sv[0] = -1;
	pc->procdom = pd;
	pd->client = pc;
	pd->next = srv->procdoms;
	srv->procdoms = pd;
	reply.domid = pd->domid;
	ret = wire_conn_queue(&c->conn, h->op, h->req_id, 0, &reply, sizeof(reply), sv[1]);
	if (ret) {
		wire_conn_error(&c->conn, h, ret, "cannot pass the connection");
		/* With no peer end left, the new connection reads EOF and is dropped. */
	} else {
		log_info("process domain %u (%s) created", pd->domid, pd->name);
	}
	pd = NULL;
out:
	if (sv[0] >= 0)
		close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	if (pd) {
		if (pd->mapper.slots)
			gnt_mapper_destroy(&pd->mapper);
		free(pd->segs);
		free(pd->ops);
		free(pd);
	}
}

static void pd_evtchn(struct control_server *srv, struct cs_client *c, const struct sv_ctl_hdr *h,
		      const struct sv_ctl_evtchn *req)
{
	struct cs_procdom *pd = c->procdom;
	struct sv_ctl_store_bind_reply r = { .port = req->port, .flags = SV_CTL_BIND_CORE_RAISES };
	struct pd_port **pp, *p = NULL;
	struct cs_domain *dom;
	int fds[2] = { -1, -1 }, raise_fd = -1;
	int ret;

	dom = pd_guest(srv, c, h, req->domid);
	if (!dom)
		return;
	for (pp = &pd->ports; *pp; pp = &(*pp)->next)
		if ((*pp)->guest == dom->domid && (*pp)->port == req->port)
			break;
	if (h->op == SV_CTL_EVTCHN_CLOSE) {
		if (!*pp) {
			wire_conn_error(&c->conn, h, -ENOENT,
					"port %u of domain %u is not bound by this process domain",
					req->port, dom->domid);
			return;
		}
		p = *pp;
		*pp = p->next;
		pd_port_unbind(dom, p);
		pd_port_free(srv, p);
		wire_conn_queue(&c->conn, h->op, h->req_id, 0, NULL, 0, -1);
		return;
	}
	if (req->port == dom->store_port || req->port == dom->console_port) {
		wire_conn_error(&c->conn, h, -EPERM, "port %u of domain %u is reserved", req->port,
				dom->domid);
		return;
	}
	if (*pp) {
		wire_conn_error(&c->conn, h, -EALREADY, "port %u of domain %u is already bound",
				req->port, dom->domid);
		return;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		wire_conn_error(&c->conn, h, -ENOMEM, "out of memory");
		return;
	}
	p->kind = CS_KIND_PORT;
	p->pd = pd;
	p->guest = dom->domid;
	p->port = req->port;
	p->send_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (p->send_fd < 0) {
		ret = -errno;
		wire_conn_error(&c->conn, h, ret, "cannot make the send eventfd: %s",
				strerror(-ret));
		free(p);
		return;
	}
	/* The evtchn layer refuses a port not offered to our domid (-EPERM). */
	ret = sv_evtchn_bind_process(dom->d, req->port, (uint16_t)pd->domid, &fds[0], &raise_fd);
	if (ret) {
		wire_conn_error(&c->conn, h, ret,
				"domain %u: cannot bind event-channel port %u: %s", dom->domid,
				req->port, strerror(-ret));
		close(p->send_fd);
		free(p);
		return;
	}
	/* The core raises for the process: its raise fd would need shared info to be of use. */
	close(raise_fd);
	ret = cs_epoll_add(srv, p->send_fd, p);
	if (ret) {
		wire_conn_error(&c->conn, h, ret, "cannot watch the send eventfd: %s",
				strerror(-ret));
		sv_evtchn_close_process(dom->d, req->port);
		close(fds[0]);
		close(p->send_fd);
		free(p);
		return;
	}
	p->next = pd->ports;
	pd->ports = p;
	ret = sv_evtchn_port_vcpu(dom->d, req->port);
	r.vcpu = ret < 0 ? 0 : (uint32_t)ret;
	fds[1] = p->send_fd;
	ret = wire_conn_queue_fds(&c->conn, h->op, h->req_id, 0, &r, sizeof(r), fds, 2);
	if (ret)
		wire_conn_error(&c->conn, h, ret, "cannot pass the eventfds");
	close(fds[0]);
}

void cs_procdom_port_ready(struct control_server *srv, void *tag)
{
	struct pd_port *p = tag;
	struct cs_domain *dom;
	uint64_t cnt;

	/* One raise however many writes came: an event channel is a bit, not a counter. */
	if (read(p->send_fd, &cnt, sizeof(cnt)) != sizeof(cnt))
		return;
	dom = cs_find(srv, p->guest);
	if (dom && !cs_domain_ended(dom))
		sv_evtchn_raise_process(dom->d, p->port, (uint16_t)p->pd->domid);
}

static void pd_area(struct cs_client *c, const struct sv_ctl_hdr *h,
		    const struct sv_ctl_gnt_area *req)
{
	struct cs_procdom *pd = c->procdom;
	int fd = wire_conn_take_fd(&c->conn);
	struct stat st;
	void *area;
	int ret;

	if (fd < 0) {
		wire_conn_error(&c->conn, h, -EBADF, "a grant area needs its memfd passed with it");
		return;
	}
	/*
	 * A file that could shrink under our mapping would make the core's copies fault
	 * (SIGBUS): the area must be a memfd we can seal against shrinking.
	 */
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) < 0) {
		ret = -errno;
		wire_conn_error(&c->conn, h, -EINVAL,
				"cannot seal the grant area against shrinking (%s): pass a memfd "
				"made with MFD_ALLOW_SEALING",
				strerror(-ret));
		goto out;
	}
	if (fstat(fd, &st) < 0 || (uint64_t)st.st_size < req->size) {
		wire_conn_error(&c->conn, h, -EINVAL,
				"the grant area's memfd holds %lld bytes, fewer than %llu",
				(long long)st.st_size, (unsigned long long)req->size);
		goto out;
	}
	area = mmap(NULL, req->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (area == MAP_FAILED) {
		ret = -errno;
		wire_conn_error(&c->conn, h, ret, "cannot map the grant area: %s", strerror(-ret));
		goto out;
	}
	if (pd->area)
		munmap(pd->area, pd->area_size);
	pd->area = area;
	pd->area_size = req->size;
	wire_conn_queue(&c->conn, h->op, h->req_id, 0, NULL, 0, -1);
out:
	close(fd);
}

/*
 * One batch: the segments are copied out of the area once (the process may
 * change them meanwhile), each is checked, the valid ones go to
 * gnt_copy_batch as one, and every status is written back.
 */
static void pd_copy(struct control_server *srv, struct cs_client *c, const struct sv_ctl_hdr *h,
		    const struct sv_ctl_gnt_copy *req)
{
	struct sv_ctl_gnt_copy_reply r = { 0 };
	struct cs_procdom *pd = c->procdom;
	struct sv_ctl_gnt_copy_seg *s;
	struct gnt_granter g;
	struct cs_domain *dom;
	uint64_t bytes = (uint64_t)req->count * sizeof(*s);
	uint32_t i, n = 0;
	int idx[SV_CTL_GNT_COPY_MAX];
	int ret;

	if (!pd->area) {
		wire_conn_error(&c->conn, h, -EINVAL, "no grant area: send SV_CTL_GNT_AREA first");
		return;
	}
	if (req->ops_offset > pd->area_size || bytes > pd->area_size - req->ops_offset) {
		wire_conn_error(&c->conn, h, -EINVAL,
				"%u segments at %llu do not fit in the %llu-byte grant area",
				req->count, (unsigned long long)req->ops_offset,
				(unsigned long long)pd->area_size);
		return;
	}
	dom = pd_guest(srv, c, h, req->domid);
	if (!dom)
		return;
	ret = pd_granter(dom, &g);
	if (ret) {
		wire_conn_error(&c->conn, h, ret, "domain %u has no grant table", dom->domid);
		return;
	}
	memcpy(pd->segs, pd->area + req->ops_offset, bytes);
	for (i = 0; i < req->count; i++) {
		s = &pd->segs[i];
		if ((s->flags & ~SV_CTL_GNT_COPY_TO_GRANT) || s->offset > PD_PAGE ||
		    s->len > PD_PAGE - s->offset || s->area_offset > pd->area_size ||
		    s->len > pd->area_size - s->area_offset) {
			s->status = -EINVAL;
			continue;
		}
		pd->ops[n] = (struct gnt_copy_op){
			.ref = s->ref,
			.dir = (s->flags & SV_CTL_GNT_COPY_TO_GRANT) ? SV_GNT_COPY_TO_GRANT
								     : SV_GNT_COPY_FROM_GRANT,
			.offset = s->offset,
			.len = s->len,
			.buf = pd->area + s->area_offset,
		};
		idx[n++] = (int)i;
	}
	if (n)
		gnt_copy_batch(&pd->mapper, &g, pd->ops, n);
	for (i = 0; i < n; i++)
		pd->segs[idx[i]].status = pd->ops[i].status;
	for (i = 0; i < req->count; i++) {
		if (pd->segs[i].status)
			r.failed++;
		memcpy(pd->area + req->ops_offset + (uint64_t)i * sizeof(*s) +
			       offsetof(struct sv_ctl_gnt_copy_seg, status),
		       &pd->segs[i].status, sizeof(pd->segs[i].status));
	}
	wire_conn_queue(&c->conn, h->op, h->req_id, 0, &r, sizeof(r), -1);
}

static void pd_map(struct control_server *srv, struct cs_client *c, const struct sv_ctl_hdr *h,
		   const struct sv_ctl_gnt_map *req)
{
	struct cs_procdom *pd = c->procdom;
	bool readonly = req->flags & SV_CTL_GNT_MAP_READONLY;
	struct sv_ctl_gnt_map_reply r = { 0 };
	struct pd_map **mp, *m;
	struct gnt_granter g;
	struct cs_domain *dom;
	void *page;
	int fd = -1, ret;

	dom = pd_guest(srv, c, h, req->domid);
	if (!dom)
		return;
	if (h->op == SV_CTL_GNT_UNMAP) {
		for (mp = &pd->maps; (m = *mp); mp = &m->next)
			if (m->guest == dom->domid && m->ref == req->ref && m->readonly == readonly)
				break;
		if (!m) {
			wire_conn_error(
				&c->conn, h, -ENOENT,
				"ref %u of domain %u is not mapped %s by this process domain",
				req->ref, dom->domid, readonly ? "readonly" : "writable");
			return;
		}
		*mp = m->next;
		pd_map_undo(pd, dom, m);
		free(m);
		wire_conn_queue(&c->conn, h->op, h->req_id, 0, NULL, 0, -1);
		return;
	}
	ret = pd_granter(dom, &g);
	if (ret) {
		wire_conn_error(&c->conn, h, ret, "domain %u has no grant table", dom->domid);
		return;
	}
	if (pd->nr_maps >= PD_MAX_MAPS) {
		wire_conn_error(&c->conn, h, -ENOSPC, "already %u maps", PD_MAX_MAPS);
		return;
	}
	m = calloc(1, sizeof(*m));
	if (!m) {
		wire_conn_error(&c->conn, h, -ENOMEM, "out of memory");
		return;
	}
	ret = gnt_map(&pd->mapper, &g, req->ref, readonly, &page);
	if (ret) {
		wire_conn_error(&c->conn, h, ret, "domain %u: cannot map ref %u: %s", dom->domid,
				req->ref, strerror(-ret));
		free(m);
		return;
	}
	m->guest = dom->domid;
	m->ref = req->ref;
	m->readonly = readonly;
	m->gpa = (uint64_t)((uint8_t *)page - g.ram);
	ret = sv_domain_page_remap(dom->d, m->gpa, readonly, &fd);
	if (ret) {
		wire_conn_error(&c->conn, h, ret, "domain %u: cannot move page %#llx: %s",
				dom->domid, (unsigned long long)m->gpa, strerror(-ret));
		gnt_unmap(&pd->mapper, &g, req->ref, readonly);
		free(m);
		return;
	}
	m->next = pd->maps;
	pd->maps = m;
	pd->nr_maps++;
	r.gpa = m->gpa;
	ret = wire_conn_queue(&c->conn, h->op, h->req_id, 0, &r, sizeof(r), fd);
	if (ret)
		wire_conn_error(&c->conn, h, ret, "cannot pass the page's memfd");
	close(fd);
}

void cs_procdom_handle(struct control_server *srv, struct cs_client *c, const struct sv_ctl_hdr *h,
		       const void *p)
{
	switch (h->op) {
	case SV_CTL_EVTCHN_BIND:
	case SV_CTL_EVTCHN_CLOSE:
		pd_evtchn(srv, c, h, p);
		break;
	case SV_CTL_GNT_AREA:
		pd_area(c, h, p);
		break;
	case SV_CTL_GNT_COPY:
		pd_copy(srv, c, h, p);
		break;
	case SV_CTL_GNT_MAP:
	case SV_CTL_GNT_UNMAP:
		pd_map(srv, c, h, p);
		break;
	}
}

int cs_alloc_domid(struct control_server *srv, uint32_t *out)
{
	uint32_t i, id;

	for (i = 0; i < SV_CTL_DOMID_MAX; i++) {
		id = srv->next_domid;
		srv->next_domid = id >= SV_CTL_DOMID_MAX ? 1 : id + 1;
		/* Guests and process domains share the domid space. */
		if (!cs_find(srv, id) && !cs_procdom_has(srv, id)) {
			*out = id;
			return 0;
		}
	}
	return -ENOSPC;
}
