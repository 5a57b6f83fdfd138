/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * xdp mode: the XDP program relays what it can, the control thread runs the same engine and
 * UDP sockets as socket mode (udp.h) and keeps the program's tables. Relayed addresses are sockets
 * (the kernel path for whatever the program passes on); channel bindings and permissions' flows
 * are table entries, each with a counter slot of its own; counters are per CPU in the program
 * and summed here. A permission's flow (its send and permission entries) is written at once:
 * it comes with a datagram the engine relays, and the next may follow before any flush.
 *
 * A ChannelBind's two entries are queued, and the queue goes into the tables with one batch
 * update per table (a system call each, where one per entry cost more than the rest of the
 * ChannelBind) just before anything is sent (the dataplane's flush, which the control loop
 * runs first): a binding is in the tables before its answer leaves. The tables have room for every
 * binding the counter slots allow, so the kernel refuses an entry only on a fault of its own; such
 * an entry is retried alone, then logged and counted, and its binding works only partly: the
 * program drops its ChannelData (no-channel) and hands its peer's data to the engine, which sends
 * it on as Data indications.
 *
 * A hairpin's channel entry also holds its far end (struct tp_xdp_chan_val): the receiving
 * allocation's peer value, written after that entry comes and taken out before it leaves, so
 * that the program completes the hairpin with one lookup.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dataplane.h"
#include "log.h"
#include "metrics.h"
#include "slots.h"
#include "udp.h"
#include "xdp_prog.h"

#define PENDING_MAX 64 /* channel bindings queued for the tables */

struct tp_xdp {
	const struct tp_config *cfg;
	struct tp_core_cfg core; /* as the program has it: what makes a hairpin */
	struct tp_xdp_prog *prog;
	struct tp_udp *udp;
	int ifindex;
	int ncpus;
	struct tp_slots slots;	      /* 1..max-bindings */
	struct tp_binding_stat *zero; /* one per CPU */
	/* Entries queued for the tables, written by flush_pending. */
	unsigned npending;
	struct tp_chan_key pend_ck[PENDING_MAX];
	struct tp_xdp_chan_val pend_cv[PENDING_MAX]; /* far ends come after the batch */
	struct tp_peer_key pend_pk[PENDING_MAX];
	struct tp_xdp_peer_val pend_pv[PENDING_MAX];
	bool no_batch;	       /* the kernel has no batch updates: one call per entry */
	uint64_t write_errors; /* entries the kernel refused */
};

/* The engine's output, and the relayed addresses: the sockets' ---------------------------- */

static bool
xdp_to_client(void *ctx, const struct tp_addr *client, const void *buf, size_t len)
{
	return tp_udp_to_client(((struct tp_xdp *)ctx)->udp, client, buf, len);
}

static bool
xdp_to_peer(void *ctx, const struct tp_addr *relay, const struct tp_addr *peer, const void *buf,
	    size_t len, bool df)
{
	return tp_udp_to_peer(((struct tp_xdp *)ctx)->udp, relay, peer, buf, len, df);
}

static int
xdp_relay_open(void *ctx, const struct tp_addr *relay)
{
	return tp_udp_relay_open(((struct tp_xdp *)ctx)->udp, relay);
}

static void
xdp_relay_close(void *ctx, const struct tp_addr *relay)
{
	tp_udp_relay_close(((struct tp_xdp *)ctx)->udp, relay);
}

/* Channel bindings: the program's tables ------------------------------------------------------ */

/* A channel's two table entries as the program's tables hold them, no far end yet; or a
 * permission flow's, cv its send entry's value. */
struct entries {
	struct tp_chan_key ck;
	struct tp_xdp_chan_val cv;
	struct tp_peer_key pk;
	struct tp_xdp_peer_val pv;
};

/* The entries of binding c, counted at slot. */
static void
entries_of(const struct tp_xdp *x, const struct tp_binding *c, uint32_t slot, struct entries *e)
{
	struct tp_chan_val cv;
	struct tp_peer_val pv;

	tp_dataplane_entries(c, &e->ck, &cv, &e->pk, &pv);
	cv.slot = pv.slot = slot;
	tp_xdp_chan_val_of(&e->cv, &x->core, &cv, NULL);
	tp_xdp_peer_val_of(&e->pv, &x->core, &pv);
}

/* n entries of one table from keys and values (arrays of ksz and vsz bytes); failures counted. */
static void
write_entries(struct tp_xdp *x, const char *table, int fd, const void *keys, size_t ksz,
	      const void *vals, size_t vsz, unsigned n)
{
	unsigned done = 0;

	if (!x->no_batch) {
		__u32 count = n;
		int ret = bpf_map_update_batch(fd, keys, vals, &count, NULL);

		if (ret == -EINVAL || ret == -EOPNOTSUPP) {
			TP_INFO("xdp: this kernel has no batch updates of %s (%s): one call per "
				"entry from now on",
				table, strerror(-ret));
			x->no_batch = true;
			count = 0;
		}
		done = count < n ? count : n;
	}
	/* Without batches, and past the entry a batch stopped at, one at a time. */
	for (unsigned i = done; i < n; i++) {
		if (bpf_map_update_elem(fd, (const char *)keys + i * ksz,
					(const char *)vals + i * vsz, BPF_ANY) == 0)
			continue;
		if (!x->write_errors++)
			TP_WARN("xdp: the kernel refused an entry of %s: %s (that binding's data "
				"does not all pass; further refusals are counted in the stats)",
				table, strerror(errno));
	}
}

/* Hairpins' far ends, kept in their channel entries ------------------------------------------ */

/*
 * Channel entry ck, value v as just read, rewritten with far end far (NULL: none) and the label
 * of its output. Only the control thread writes the table, so writing the value whole loses
 * nothing. An entry that cannot forget its far end leaves the table: the program must never
 * send to a far end that has gone (without a channel entry, the engine decides).
 */
static void
set_far(struct tp_xdp *x, const struct tp_chan_key *ck, const struct tp_xdp_chan_val *v,
	const struct tp_peer_val *far)
{
	int fd = tp_xdp_chans_fd(x->prog), err;
	struct tp_xdp_chan_val nv;

	tp_xdp_chan_val_of(&nv, &x->core, &v->chan, far);
	if (bpf_map_update_elem(fd, ck, &nv, BPF_EXIST) == 0)
		return;
	err = errno;
	x->write_errors++; /* with a far end: the program looks it up, slower, never wrong */
	if (!far && bpf_map_delete_elem(fd, ck) == 0)
		TP_WARN("xdp: channel 0x%04x's entry could not forget its hairpin's far end (%s): "
			"taken out of the tables, its data goes to the engine",
			ntohs(ck->channel), strerror(err));
}

/*
 * Peer entry k has been written, or (leaving) is about to go: the channels whose hairpins it
 * completes, if any, take the entry's value as the table now has it, or forget it. They are
 * found through their own bindings' peer entries, whose keys are k's reversed
 * (tp_hairpin_back(), toward the receiving allocation's public and bind addresses) and whose
 * values name the channels' clients and numbers. This is the only way a far end is written:
 * a channel whose own peer entry is missing gets none, as it could not be found to forget it.
 */
static void
far_to_chans(struct tp_xdp *x, const struct tp_peer_key *k, bool leaving)
{
	struct tp_peer_key back, want, first;
	struct tp_xdp_peer_val pv, far;
	struct tp_xdp_chan_val cv;
	struct tp_chan_key ck;
	bool known;

	if (!tp_hairpin_back(&back, &x->core, k, 1))
		return; /* no hairpin's far end */
	first = back;
	known = !leaving && bpf_map_lookup_elem(tp_xdp_peers_fd(x->prog), k, &far) == 0;
	for (int pub = 1; pub >= 0; pub--) {
		tp_hairpin_back(&back, &x->core, k, pub);
		if (!pub && memcmp(&back, &first, sizeof(back)) == 0)
			break; /* the public address is the bind address */
		if (bpf_map_lookup_elem(tp_xdp_peers_fd(x->prog), &back, &pv) < 0)
			continue;
		memcpy(ck.client_ip, pv.peer.client_ip, sizeof(ck.client_ip));
		ck.client_port = pv.peer.client_port;
		ck.channel = pv.peer.channel;
		if (bpf_map_lookup_elem(tp_xdp_chans_fd(x->prog), &ck, &cv) == 0 &&
		    tp_hairpin_key(&want, &x->core, &cv.chan) &&
		    memcmp(&want, k, sizeof(want)) == 0)
			set_far(x, &ck, &cv, known ? &far.peer : NULL);
	}
}

/* The queued ChannelBinds into the tables: channel entries first, then peer entries, then
 * the hairpins' far ends they make known. */
static void
flush_pending(struct tp_xdp *x)
{
	if (!x->npending)
		return;
	write_entries(x, "tp_chans", tp_xdp_chans_fd(x->prog), x->pend_ck, sizeof(x->pend_ck[0]),
		      x->pend_cv, sizeof(x->pend_cv[0]), x->npending);
	write_entries(x, "tp_peers", tp_xdp_peers_fd(x->prog), x->pend_pk, sizeof(x->pend_pk[0]),
		      x->pend_pv, sizeof(x->pend_pv[0]), x->npending);
	for (unsigned i = 0; i < x->npending; i++) {
		struct tp_peer_key hk;

		/* The far end of a channel that sends to a hairpin, and the channels this peer
		 * entry is the far end of. */
		if (tp_hairpin_key(&hk, &x->core, &x->pend_cv[i].chan))
			far_to_chans(x, &hk, false);
		far_to_chans(x, &x->pend_pk[i], false);
	}
	x->npending = 0;
}

/* The loop's flush: before anything leaves, the queued bindings are in the tables. */
static void
xdp_flush(void *ctx)
{
	flush_pending(ctx);
}

/* A counter slot for a new binding, zero on every CPU: the slot, or -errno. */
static int64_t
take_slot(struct tp_xdp *x)
{
	uint32_t slot;
	bool fresh;

	if (!(slot = tp_slots_take(&x->slots, &fresh)))
		return -ENOSPC;
	/*
	 * A slot starts from zero on every CPU, whoever had it before. The map was created
	 * zeroed: only a slot handed out before needs zeroing (a system call saved per binding
	 * while the relay fills up).
	 */
	if (!fresh &&
	    bpf_map_update_elem(tp_xdp_binding_stats_fd(x->prog), &slot, x->zero, BPF_ANY) < 0) {
		int err = -errno;

		tp_slots_put(&x->slots, slot);
		return err;
	}
	return slot;
}

static int
xdp_chan_add(void *ctx, const struct tp_binding *c)
{
	struct tp_xdp *x = ctx;
	struct entries e;
	int64_t slot;

	if ((slot = take_slot(x)) < 0)
		return (int)slot;
	entries_of(x, c, (uint32_t)slot, &e);
	if (x->npending == PENDING_MAX)
		flush_pending(x);
	x->pend_ck[x->npending] = e.ck;
	x->pend_cv[x->npending] = e.cv;
	x->pend_pk[x->npending] = e.pk;
	x->pend_pv[x->npending] = e.pv;
	x->npending++;
	return 0;
}

/* A binding's counters, summed over CPUs. */
/* The XDP program drops the source's STUN until then (bpf_ktime_get_ns()'s clock). A refused
 * write (it cannot be for room: the table forgets its least recently used) only leaves the
 * engine to drop what it would have. */
static void
xdp_mute(void *ctx, const struct tp_addr *source, unsigned ms)
{
	struct tp_xdp *x = ctx;
	struct tp_muted_key k;
	struct timespec now;
	uint64_t until;

	clock_gettime(CLOCK_MONOTONIC, &now);
	until = (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec + ms * 1000000ull;
	tp_dataplane_muted_key(source, &k);
	if (bpf_map_update_elem(tp_xdp_muted_fd(x->prog), &k, &until, BPF_ANY) < 0)
		x->write_errors++;
}

static int
binding_counters(struct tp_xdp *x, uint32_t slot, struct tp_binding_stat *sum)
{
	struct tp_binding_stat *per_cpu = calloc((size_t)x->ncpus, sizeof(*per_cpu));
	int ret = -ENOMEM;

	memset(sum, 0, sizeof(*sum));
	if (per_cpu &&
	    (ret = bpf_map_lookup_elem(tp_xdp_binding_stats_fd(x->prog), &slot, per_cpu)) == 0) {
		for (int cpu = 0; cpu < x->ncpus; cpu++) {
			for (int d = 0; d < 2; d++) {
				sum->packets[d] += per_cpu[cpu].packets[d];
				sum->bytes[d] += per_cpu[cpu].bytes[d];
			}
		}
	}
	free(per_cpu);
	return ret;
}

/* The slot of channel c as the tables remember it: both entries name it, so it is found even
 * when one of them is gone (0: neither is there). */
static uint32_t
binding_slot(struct tp_xdp *x, const struct tp_binding *c)
{
	struct entries e;

	entries_of(x, c, 0, &e);
	if (bpf_map_lookup_elem(tp_xdp_chans_fd(x->prog), &e.ck, &e.cv) == 0 && e.cv.chan.slot)
		return e.cv.chan.slot;
	if (bpf_map_lookup_elem(tp_xdp_peers_fd(x->prog), &e.pk, &e.pv) == 0)
		return e.pv.peer.slot;
	return 0;
}

/* The counters of the binding at slot, summed over CPUs (0: none held: -ENOENT, zeros). */
static int
slot_counts(struct tp_xdp *x, uint32_t slot, struct tp_binding_stat *out)
{
	if (slot)
		return binding_counters(x, slot, out);
	memset(out, 0, sizeof(*out));
	return -ENOENT;
}

/* The counters of channel c, found by the slot its table entries name. */
static int
xdp_chan_counts(void *ctx, const struct tp_binding *c, struct tp_binding_stat *out)
{
	struct tp_xdp *x = ctx;

	flush_pending(x);
	return slot_counts(x, binding_slot(x, c), out);
}

static void
xdp_chan_del(void *ctx, const struct tp_binding *c)
{
	struct tp_xdp *x = ctx;
	struct tp_binding_stat st;
	struct entries e;
	uint32_t slot;

	flush_pending(x); /* the binding may still be queued */
	entries_of(x, c, 0, &e);
	/* Its slot goes back to the free list even when one of its entries is gone. */
	if ((slot = binding_slot(x, c))) {
		/* The engine has read the counts already (chan_counts): summed again only for
		 * the debug log. */
		if (tp_log_level >= TP_LOG_DEBUG && binding_counters(x, slot, &st) == 0)
			TP_DEBUG("channel 0x%04x of binding %u leaves the XDP tables: %llu packets "
				 "(%llu bytes) to the peer, %llu (%llu) to the client",
				 c->channel, c->id, (unsigned long long)st.packets[TP_DIR_TO_PEER],
				 (unsigned long long)st.bytes[TP_DIR_TO_PEER],
				 (unsigned long long)st.packets[TP_DIR_TO_CLIENT],
				 (unsigned long long)st.bytes[TP_DIR_TO_CLIENT]);
		tp_slots_put(&x->slots, slot);
	}
	far_to_chans(x, &e.pk, true); /* before its peer entry goes */
	bpf_map_delete_elem(tp_xdp_chans_fd(x->prog), &e.ck);
	bpf_map_delete_elem(tp_xdp_peers_fd(x->prog), &e.pk);
}

/* Permissions' flows: the permission table, the peer table's twin ------------------------------ */

static int
xdp_perm_add(void *ctx, const struct tp_binding *b)
{
	struct tp_xdp *x = ctx;
	struct tp_send_key sk;
	struct entries e;
	int64_t slot;

	if ((slot = take_slot(x)) < 0)
		return (int)slot;
	entries_of(x, b, (uint32_t)slot, &e);
	tp_dataplane_send_key(b, &sk);
	if (bpf_map_update_elem(tp_xdp_sends_fd(x->prog), &sk, &e.cv, BPF_ANY) < 0 ||
	    bpf_map_update_elem(tp_xdp_perms_fd(x->prog), &e.pk, &e.pv, BPF_ANY) < 0) {
		int err = -errno;

		x->write_errors++;
		bpf_map_delete_elem(tp_xdp_sends_fd(x->prog), &sk);
		tp_slots_put(&x->slots, (uint32_t)slot);
		return err;
	}
	return 0;
}

/* The slot of the permission flow whose entries are e (0: not in the table); e->pv is
 * overwritten with the table's value. */
static uint32_t
perm_slot(struct tp_xdp *x, struct entries *e)
{
	return bpf_map_lookup_elem(tp_xdp_perms_fd(x->prog), &e->pk, &e->pv) == 0 ? e->pv.peer.slot
										  : 0;
}

static int
xdp_perm_counts(void *ctx, const struct tp_binding *b, struct tp_binding_stat *out)
{
	struct entries e;

	entries_of(ctx, b, 0, &e);
	return slot_counts(ctx, perm_slot(ctx, &e), out);
}

static void
xdp_perm_del(void *ctx, const struct tp_binding *b)
{
	struct tp_xdp *x = ctx;
	struct tp_send_key sk;
	struct entries e;
	uint32_t slot;

	entries_of(x, b, 0, &e);
	tp_dataplane_send_key(b, &sk);
	if ((slot = perm_slot(x, &e)))
		tp_slots_put(&x->slots, slot);
	bpf_map_delete_elem(tp_xdp_sends_fd(x->prog), &sk);
	bpf_map_delete_elem(tp_xdp_perms_fd(x->prog), &e.pk);
}

/* Counters, summed over CPUs ---------------------------------------------------------------- */

/* The kernel's route lookups, by answer (BPF_FIB_LKUP_RET_*): why next hops were missing. */
static void
log_fib_stats(struct tp_xdp *x)
{
	static const char *const names[] = {
		"success",	   "blackhole",	    "unreachable",
		"prohibit",	   "not-forwarded", "forwarding-disabled",
		"unsupported-lwt", "no-neighbour",  "fragmentation-needed"
	};
	uint64_t *per_cpu = calloc((size_t)x->ncpus, sizeof(*per_cpu));

	if (!per_cpu)
		return;
	for (uint32_t code = 0; code < TP_XDP_FIB_CODES; code++) {
		uint64_t n = 0;

		if (bpf_map_lookup_elem(tp_xdp_fib_stats_fd(x->prog), &code, per_cpu) < 0)
			continue;
		for (int cpu = 0; cpu < x->ncpus; cpu++)
			n += per_cpu[cpu];
		if (n)
			TP_INFO("stats: xdp next-hop lookups %s %llu",
				code < sizeof(names) / sizeof(names[0]) ? names[code] : "other",
				(unsigned long long)n);
	}
	free(per_cpu);
}

/* The program's verdicts, summed over CPUs (the metrics' and the log's). */
static void
xdp_counters(void *ctx, struct tp_metrics_snapshot *s)
{
	struct tp_xdp *x = ctx;
	struct tp_xdp_reason_stat *per_cpu = calloc((size_t)x->ncpus, sizeof(*per_cpu));

	s->fastpath = true;
	if (!per_cpu)
		return;
	for (uint32_t r = 0; r < TP_R_COUNT; r++) {
		s->reasons[r].packets = s->reasons[r].bytes = 0;
		if (bpf_map_lookup_elem(tp_xdp_reason_stats_fd(x->prog), &r, per_cpu) < 0)
			continue;
		for (int cpu = 0; cpu < x->ncpus; cpu++) {
			s->reasons[r].packets += per_cpu[cpu].packets;
			s->reasons[r].bytes += per_cpu[cpu].bytes;
		}
	}
	uint32_t zero = 0;
	uint64_t muted = 0;

	if (bpf_map_lookup_elem(tp_xdp_muted_stats_fd(x->prog), &zero, per_cpu) == 0)
		for (int cpu = 0; cpu < x->ncpus; cpu++)
			muted += per_cpu[cpu].packets;
	free(per_cpu);
	tp_metrics_add_counter(
		s, "muted_stun",
		"STUN dropped by the XDP program from sources past their answer "
		"budget, muted for a while (the engine would have dropped the answers).",
		muted);
	tp_metrics_add_counter(s, "table_write_errors",
			       "Table entries the kernel refused (bindings, muted sources).",
			       x->write_errors);
}

static void
xdp_log_stats(void *ctx)
{
	struct tp_xdp *x = ctx;
	struct tp_metrics_snapshot *s = calloc(1, sizeof(*s));

	if (!s)
		return;
	xdp_counters(x, s);
	for (uint32_t r = 0; r < TP_R_COUNT; r++)
		if (s->reasons[r].packets)
			TP_INFO("stats: xdp %s:%s %llu packets %llu bytes",
				tp_action_name(tp_reason_action((enum tp_reason)r)),
				tp_reason_name((enum tp_reason)r),
				(unsigned long long)s->reasons[r].packets,
				(unsigned long long)s->reasons[r].bytes);
	free(s);
	if (x->write_errors)
		TP_INFO("stats: xdp table entries the kernel refused %llu",
			(unsigned long long)x->write_errors);
	if (x->cfg->xdp.fib)
		log_fib_stats(x);
	tp_udp_log_stats(x->udp);
}

/* Set-up ------------------------------------------------------------------------------------ */

/* An interface's ioctl request (SIOCGIFHWADDR, SIOCGIFMTU) into ifr: 0, or -errno. */
static int
interface_ioctl(const char *ifname, unsigned long request, struct ifreq *ifr)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret = 0;

	if (fd < 0)
		return -errno;
	memset(ifr, 0, sizeof(*ifr));
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", ifname);
	if (ioctl(fd, request, ifr) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

static int
interface_mac(const char *ifname, uint8_t mac[6])
{
	struct ifreq ifr;
	int ret = interface_ioctl(ifname, SIOCGIFHWADDR, &ifr);

	if (ret == 0)
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	return ret;
}

/* bpf_fib_lookup() answers only where the interface forwards: check before relying on it. */
static int
check_forwarding(const struct tp_config *cfg)
{
	static const char *const fams[] = { "ipv4", "ipv6" };

	for (int f = 0; f < TP_NFAM; f++) {
		char path[128], v = '0';
		FILE *fp;

		if (!cfg->fam[f].enabled)
			continue;
		snprintf(path, sizeof(path), "/proc/sys/net/%s/conf/%s/forwarding", fams[f],
			 cfg->xdp.interface);
		if ((fp = fopen(path, "r"))) {
			v = (char)fgetc(fp);
			fclose(fp);
		}
		if (v != '1') {
			TP_ERR("xdp.nexthop = \"fib\" needs forwarding on %s, which the kernel's "
			       "route lookup requires: sysctl -w net.%s.conf.%s.forwarding=1, or "
			       "set "
			       "xdp.nexthop = \"static\" with xdp.nexthop-mac",
			       cfg->xdp.interface, fams[f], cfg->xdp.interface);
			return -1;
		}
	}
	return 0;
}

static int
xdp_setup(struct tp_xdp *x, const struct tp_config *cfg)
{
	struct tp_xdp_cfg xcfg = { 0 };
	char err[512];

	x->cfg = cfg;
	if (!(x->ifindex = (int)if_nametoindex(cfg->xdp.interface))) {
		TP_ERR("xdp.interface: no interface \"%s\"", cfg->xdp.interface);
		return -1;
	}
	if ((x->ncpus = libbpf_num_possible_cpus()) <= 0) {
		TP_ERR("cannot count the CPUs: %s", strerror(-x->ncpus));
		return -1;
	}
	x->zero = calloc((size_t)x->ncpus, sizeof(*x->zero));
	if (!x->zero || tp_slots_init(&x->slots, cfg->xdp.max_bindings) < 0) {
		TP_ERR("out of memory for %u bindings (xdp.max-bindings)", cfg->xdp.max_bindings);
		return -1;
	}

	tp_dataplane_core_cfg(cfg, &xcfg.core);
	/* The program relays nothing larger than the interface sends, as it is when the program
	 * loads (bpf_fib_lookup() checks the route's too); the kernel path takes the rest. */
	struct ifreq ifr;
	int mret = interface_ioctl(cfg->xdp.interface, SIOCGIFMTU, &ifr);

	if (mret < 0) {
		TP_ERR("xdp.interface: cannot read the MTU of %s: %s", cfg->xdp.interface,
		       strerror(-mret));
		return -1;
	}
	xcfg.core.mtu = (uint16_t)(ifr.ifr_mtu > 0xFFFF ? 0xFFFF : ifr.ifr_mtu);
	if (cfg->xdp.fib) {
		if (check_forwarding(cfg) < 0)
			return -1;
		xcfg.nexthop = TP_XDP_NEXTHOP_FIB;
	} else {
		int ret = interface_mac(cfg->xdp.interface, xcfg.src_mac);

		if (ret < 0) {
			TP_ERR("xdp.interface: cannot read the MAC address of %s: %s",
			       cfg->xdp.interface, strerror(-ret));
			return -1;
		}
		xcfg.nexthop = TP_XDP_NEXTHOP_STATIC;
		memcpy(xcfg.dst_mac, cfg->xdp.nexthop_mac.addr, 6);
	}
	x->core = xcfg.core;
	if (!(x->prog = tp_xdp_prog_load(&xcfg, cfg->xdp.max_bindings, err, sizeof(err)))) {
		TP_ERR("%s", err);
		return -1;
	}
	return 0;
}

static void xdp_close(void *ctx);

/* The program loaded and the sockets open; it attaches when the engine is there (start). */
static void *
xdp_open(const struct tp_config *cfg, struct tp_loop *loop)
{
	struct tp_xdp *x = calloc(1, sizeof(*x));

	if (!x) {
		TP_ERR("out of memory");
		return NULL;
	}
	if (xdp_setup(x, cfg) < 0 || !(x->udp = tp_udp_open(cfg, loop))) {
		xdp_close(x);
		return NULL;
	}
	return x;
}

/* Sockets first (open): whatever the program passes on from its first packet has a taker. */
static int
xdp_start(void *ctx, struct tp_engine *eng)
{
	struct tp_xdp *x = ctx;
	const char *mode;
	char err[512];

	(void)eng;
	if (tp_xdp_prog_attach(x->prog, x->ifindex, x->cfg->xdp.generic, &mode, err, sizeof(err)) <
	    0) {
		TP_ERR("%s", err);
		return -1;
	}
	TP_INFO("XDP program attached to %s in %s mode; next hops: %s", x->cfg->xdp.interface, mode,
		x->cfg->xdp.fib ? "the kernel's routes and neighbours (bpf_fib_lookup)"
				: "one static router MAC (xdp.nexthop-mac)");
	return 0;
}

static void
xdp_stop(void *ctx)
{
	struct tp_xdp *x = ctx;

	tp_xdp_prog_detach(x->prog);
	TP_INFO("XDP program detached from %s", x->cfg->xdp.interface);
}

static void
xdp_close(void *ctx)
{
	struct tp_xdp *x = ctx;

	tp_udp_close(x->udp);
	tp_xdp_prog_destroy(x->prog);
	tp_slots_fini(&x->slots);
	free(x->zero);
	free(x);
}

const struct tp_dataplane tp_xdp_dataplane = {
	.name = "xdp",
	.open = xdp_open,
	.start = xdp_start,
	.stop = xdp_stop,
	.close = xdp_close,
	.to_client = xdp_to_client,
	.to_peer = xdp_to_peer,
	.relay_open = xdp_relay_open,
	.relay_close = xdp_relay_close,
	.chan_add = xdp_chan_add,
	.chan_del = xdp_chan_del,
	.chan_counts = xdp_chan_counts,
	.perm_add = xdp_perm_add,
	.perm_del = xdp_perm_del,
	.perm_counts = xdp_perm_counts,
	.mute = xdp_mute,
	.flush = xdp_flush,
	.counters = xdp_counters,
	.log_stats = xdp_log_stats,
};
