/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the table-keeping dataplanes share: the core's configuration from turnpike's, a
 * channel binding's table entries, and a muted source's key (see dataplane.h).
 */
#include "dataplane.h"

#include "tp_fastpath.h"

#include <arpa/inet.h>
#include <string.h>

_Static_assert(TP_CFG_MAX_RELAY_ADDRS == TP_RELAY_ADDRS_MAX,
	       "relay.ipv4.bind takes as many addresses as the fast path holds");

static void
to16(uint8_t out[16], const struct tp_addr *a)
{
	tp_ip_to16(out, a->ip, a->family);
}

void
tp_dataplane_core_cfg(const struct tp_config *cfg, struct tp_core_cfg *core)
{
	memset(core, 0, sizeof(*core));
	core->listen_port = htons(cfg->listen_port);
	core->port_min = cfg->port_min;
	core->port_max = cfg->port_max;
	if (cfg->fam[0].enabled)
		core->naddr4 = (uint8_t)cfg->fam[0].naddrs;
	if (cfg->fam[1].enabled)
		core->naddr6 = (uint8_t)cfg->fam[1].naddrs;
	for (unsigned i = 0; i < core->naddr4; i++) {
		memcpy(core->bind4[i], cfg->fam[0].bind[i].ip, 4);
		memcpy(core->public4[i], tp_cfg_public(cfg, 0, i)->ip, 4);
	}
	for (unsigned i = 0; i < core->naddr6; i++) {
		memcpy(core->bind6[i], cfg->fam[1].bind[i].ip, 16);
		memcpy(core->public6[i], tp_cfg_public(cfg, 1, i)->ip, 16);
	}
}

void
tp_dataplane_entries(const struct tp_binding *c, struct tp_chan_key *ck, struct tp_chan_val *cv,
		     struct tp_peer_key *pk, struct tp_peer_val *pv)
{
	uint8_t family = c->peer.family;

	memset(ck, 0, sizeof(*ck));
	memset(cv, 0, sizeof(*cv));
	memset(pk, 0, sizeof(*pk));
	memset(pv, 0, sizeof(*pv));

	to16(ck->client_ip, &c->client);
	ck->client_port = htons(c->client.port);
	ck->channel = htons(c->channel);

	to16(cv->peer_ip, &c->peer);
	cv->peer_port = htons(c->peer.port);
	cv->alloc_port = htons(c->relay.port);
	cv->family = family;
	cv->relay_index = c->relay_index;

	memcpy(pk->peer_ip, cv->peer_ip, sizeof(pk->peer_ip));
	pk->peer_port = cv->peer_port;
	pk->alloc_port = cv->alloc_port;
	pk->family = family;
	pk->relay_index = c->relay_index;

	memcpy(pv->client_ip, ck->client_ip, sizeof(pv->client_ip));
	pv->client_port = ck->client_port;
	pv->channel = ck->channel;
}

void
tp_dataplane_send_key(const struct tp_binding *b, struct tp_send_key *sk)
{
	memset(sk, 0, sizeof(*sk));
	to16(sk->client_ip, &b->client);
	sk->client_port = htons(b->client.port);
	to16(sk->peer_ip, &b->peer);
	sk->peer_port = htons(b->peer.port);
}

void
tp_dataplane_muted_key(const struct tp_addr *source, struct tp_muted_key *k)
{
	uint8_t ip16[16];

	to16(ip16, source);
	tp_muted_key_of(k, ip16, source->family);
}
