/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The XDP program's loader (see xdp_prog.h).
 */
#include "xdp_prog.h"

#include <errno.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "log.h"
#include "turnpike.skel.h"

struct tp_xdp_prog {
	struct turnpike *skel;
	int link_fd;
};

/* libbpf speaks through turnpike's log: warnings as warnings, the rest at debug level. */
static int
libbpf_to_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[1024];
	size_t n;

	if (level != LIBBPF_WARN && tp_log_level < TP_LOG_DEBUG)
		return 0;
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n && line[n - 1] == '\n')
		line[--n] = '\0';
	tp_log(level == LIBBPF_WARN ? TP_LOG_WARN : TP_LOG_DEBUG, "libbpf: %s", line);
	return 0;
}

struct tp_xdp_prog *
tp_xdp_prog_load(const struct tp_xdp_cfg *cfg, unsigned max_bindings, char *err, size_t errlen)
{
	struct tp_xdp_prog *x = calloc(1, sizeof(*x));
	int ret;

	libbpf_set_print(libbpf_to_log);
	if (!x) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	x->link_fd = -1;
	if (!(x->skel = turnpike__open())) {
		snprintf(err, errlen, "cannot open the XDP program: %s", strerror(errno));
		goto fail;
	}
	x->skel->rodata->tp_cfg = *cfg;
	/* Slot 0 of the binding counters means "none": one more than the bindings. */
	if ((ret = bpf_map__set_max_entries(x->skel->maps.tp_chans, max_bindings)) ||
	    (ret = bpf_map__set_max_entries(x->skel->maps.tp_peers, max_bindings)) ||
	    (ret = bpf_map__set_max_entries(x->skel->maps.tp_perms, max_bindings)) ||
	    (ret = bpf_map__set_max_entries(x->skel->maps.tp_sends, max_bindings)) ||
	    (ret = bpf_map__set_max_entries(x->skel->maps.tp_binding_stats, max_bindings + 1))) {
		snprintf(err, errlen, "cannot size the XDP tables: %s", strerror(-ret));
		goto fail;
	}
	if ((ret = turnpike__load(x->skel))) {
		snprintf(err, errlen,
			 "the kernel refused the XDP program (%s; libbpf's log above says why)",
			 strerror(-ret));
		goto fail;
	}
	return x;
fail:
	tp_xdp_prog_destroy(x);
	return NULL;
}

static int
link_xdp(struct tp_xdp_prog *x, int ifindex, __u32 flags)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = flags);
	int fd = bpf_link_create(tp_xdp_prog_fd(x), ifindex, BPF_XDP, &opts);

	return fd < 0 ? -errno : fd;
}

int
tp_xdp_prog_attach(struct tp_xdp_prog *x, int ifindex, bool generic, const char **mode, char *err,
		   size_t errlen)
{
	char ifname[IF_NAMESIZE] = "?";
	int fd;

	if_indextoname((unsigned)ifindex, ifname);
	*mode = generic ? "generic" : "native";
	fd = link_xdp(x, ifindex, generic ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE);
	if (fd < 0 && fd != -EBUSY && !generic) {
		TP_WARN("xdp.attach: %s refused native XDP (%s): attaching in generic mode", ifname,
			strerror(-fd));
		*mode = "generic";
		fd = link_xdp(x, ifindex, XDP_FLAGS_SKB_MODE);
	}
	if (fd == -EBUSY) {
		snprintf(err, errlen,
			 "xdp.interface: %s already has an XDP program; remove it first (ip link "
			 "set "
			 "dev %s xdp off)",
			 ifname, ifname);
		return fd;
	}
	if (fd < 0) {
		snprintf(err, errlen, "xdp.interface: cannot attach to %s: %s", ifname,
			 strerror(-fd));
		return fd;
	}
	x->link_fd = fd;
	return 0;
}

void
tp_xdp_prog_detach(struct tp_xdp_prog *x)
{
	/* Closing the link detaches; the kernel does the same if the process dies. */
	if (x && x->link_fd >= 0)
		close(x->link_fd);
	if (x)
		x->link_fd = -1;
}

void
tp_xdp_prog_destroy(struct tp_xdp_prog *x)
{
	if (!x)
		return;
	tp_xdp_prog_detach(x);
	turnpike__destroy(x->skel);
	free(x);
}

int
tp_xdp_prog_fd(const struct tp_xdp_prog *x)
{
	return bpf_program__fd(x->skel->progs.turnpike_xdp);
}

int
tp_xdp_chans_fd(const struct tp_xdp_prog *x)
{
	return bpf_map__fd(x->skel->maps.tp_chans);
}

int
tp_xdp_peers_fd(const struct tp_xdp_prog *x)
{
	return bpf_map__fd(x->skel->maps.tp_peers);
}

int
tp_xdp_perms_fd(const struct tp_xdp_prog *x)
{
	return bpf_map__fd(x->skel->maps.tp_perms);
}

int
tp_xdp_sends_fd(const struct tp_xdp_prog *x)
{
	return bpf_map__fd(x->skel->maps.tp_sends);
}

int
tp_xdp_reason_stats_fd(const struct tp_xdp_prog *x)
{
	return bpf_map__fd(x->skel->maps.tp_reason_stats);
}

int
tp_xdp_binding_stats_fd(const struct tp_xdp_prog *x)
{
	return bpf_map__fd(x->skel->maps.tp_binding_stats);
}

int
tp_xdp_fib_stats_fd(const struct tp_xdp_prog *x)
{
	return bpf_map__fd(x->skel->maps.tp_fib_stats);
}

int
tp_xdp_muted_fd(const struct tp_xdp_prog *x)
{
	return bpf_map__fd(x->skel->maps.tp_muted);
}

int
tp_xdp_muted_stats_fd(const struct tp_xdp_prog *x)
{
	return bpf_map__fd(x->skel->maps.tp_muted_stats);
}
