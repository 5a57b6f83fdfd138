/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Run-time configuration. Every key has a default, taken from the copy of conf/turnpike.conf
 * compiled into the binary; a file given with -c is read on top of it and only needs the keys
 * that differ. Loading validates everything up front: an unknown key, a wrong type or a bad
 * value is reported with the file, the line and the key's full path, and nothing starts.
 */
#ifndef TP_CONFIG_H
#define TP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TP_CFG_MAX_PREFIXES 64
#define TP_CFG_MAX_SECRETS  8
#define TP_CFG_MAX_USERS    256
#define TP_CFG_NAME_MAX	    513 /* USERNAME and REALM are under 509 bytes on the wire */

enum tp_mode {
	TP_MODE_SOCKET,
	TP_MODE_XDP,
	TP_MODE_DPDK,
};

#define TP_CFG_MAX_EAL_ARGS   16
#define TP_CFG_MAX_PORTS      4
#define TP_CFG_MAX_ALTERNATES 8

struct tp_cfg_mac {
	bool set;
	uint8_t addr[6];
};

enum tp_log_level {
	TP_LOG_ERR,
	TP_LOG_WARN,
	TP_LOG_INFO,
	TP_LOG_DEBUG,
};

/* Relayed addresses per family (relay.ipv4.bind): dataplane/core's TP_RELAY_ADDRS_MAX. */
#define TP_CFG_MAX_RELAY_ADDRS 16

/* A family's relayed addresses, bind and public pairs; the first is also where the relay
 * listens (UDP, TCP, TLS, DTLS). Allocations are spread over all of them. */
struct tp_cfg_family {
	bool enabled;
	unsigned naddrs;  /* bind addresses: 1 at least */
	unsigned npublic; /* 0: clients see the bind addresses; else naddrs */
	struct tp_addr bind[TP_CFG_MAX_RELAY_ADDRS]; /* where sockets bind / the NIC's addresses */
	struct tp_addr public_[TP_CFG_MAX_RELAY_ADDRS]; /* what clients see: XOR-RELAYED-ADDRESS,
							 * the hairpin test */
};

struct tp_cfg_user {
	char name[TP_CFG_NAME_MAX];
	char password[TP_CFG_NAME_MAX]; /* empty when only a key is given */
	uint8_t key[16];		/* MD5(name:realm:password), precomputed by the operator */
	bool has_key;
};

struct tp_config {
	enum tp_mode mode;
	enum tp_log_level log_level;
	char software[128];	       /* SOFTWARE attribute; empty to leave it out */
	bool software_unauthenticated; /* SOFTWARE in answers without MESSAGE-INTEGRITY too */

	uint16_t listen_port; /* UDP */
	uint16_t port_min, port_max;
	/* TURN over TCP, TLS and DTLS (RFC 8656 section 3.1), on each family's bind address.
	 * DTLS takes its certificate and ciphers from tls. */
	struct {
		bool enabled;
		uint16_t port;
	} tcp, dtls;
	struct {
		bool enabled;
		uint16_t port;
		bool min_13;				 /* min-version = "1.3" (else "1.2") */
		char certificate[256], private_key[256]; /* PEM files: the chain, its key */
		char ciphers[512], ciphersuites[256];	 /* TLS 1.2's list; TLS 1.3's */
	} tls;
	struct tp_cfg_family fam[TP_NFAM];

	char realm[TP_CFG_NAME_MAX];
	unsigned nonce_lifetime; /* seconds */
	unsigned nsecrets;
	char secrets[TP_CFG_MAX_SECRETS][256];
	unsigned nusers;
	struct tp_cfg_user *users;

	unsigned alloc_lifetime_default, alloc_lifetime_max; /* seconds */
	unsigned perm_lifetime, chan_lifetime;

	unsigned max_allocations;	   /* 508 beyond */
	unsigned max_allocations_per_user; /* 486 beyond; 0: no limit */
	unsigned max_permissions;	   /* per allocation; 508 beyond */
	unsigned max_channels;		   /* per allocation; 508 beyond */
	/* Answers to unauthenticated requests, per source address (IPv6: /64); see
	 * answer_budget.h. */
	unsigned unauth_burst, unauth_rate; /* bytes; bytes a second */
	unsigned unauth_sources;	    /* sources tracked at once */
	/* Connections (TCP, TLS): at once, and from one IP address; seconds a TLS handshake
	 * may take; seconds a connection may hold no allocation. */
	unsigned max_connections, max_connections_per_source;
	unsigned handshake_timeout, connection_idle;

	bool deny_private;
	bool allow_relay_ports; /* peers.allow-relay-ports */
	unsigned ndeny, nallow;
	struct tp_prefix deny[TP_CFG_MAX_PREFIXES];
	struct tp_prefix allow[TP_CFG_MAX_PREFIXES];

	int socket_rcvbuf, socket_sndbuf; /* bytes; 0 leaves the kernel default */

	struct {
		char interface[16]; /* IFNAMSIZ */
		bool generic;	    /* attach = "generic" */
		bool fib;	    /* nexthop = "fib" (else "static") */
		struct tp_cfg_mac nexthop_mac;
		unsigned max_bindings;
	} xdp;

	struct {
		char lcores[64]; /* EAL -l: the first is the control thread, the rest relay */
		char file_prefix[64];
		unsigned neal_args;
		char eal_args[TP_CFG_MAX_EAL_ARGS][128];
		unsigned nports;
		char ports[TP_CFG_MAX_PORTS][256]; /* PCI address, or a vdev "name,args" */
		unsigned rx_desc, tx_desc, mempool_size, mtu;
		bool rss;
		uint8_t prefix_len[TP_NFAM]; /* the relay's subnet per family: on-link next hops */
		struct tp_addr gateway[TP_NFAM]; /* family NONE when unset */
		struct tp_cfg_mac nexthop_mac;	 /* every next hop, when set */
		unsigned max_bindings;
		unsigned stats_interval;   /* seconds between log lines; 0: none */
		char kernel_interface[16]; /* IFNAMSIZ: the TAP for the kernel's traffic; "" none */
	} dpdk;

	struct {
		char output[256];  /* "" off, "stdout", "syslog", or an absolute file path */
		unsigned interval; /* seconds between interim records; 0: end records only */
		unsigned queue;	   /* records waiting for the writer */
	} flows;

	struct {
		struct tp_addr listen; /* family NONE: no metrics endpoint */
	} metrics;

	/* The admin socket (turnpikectl): a UNIX stream socket, made with this file mode. */
	struct {
		char socket[108]; /* sizeof(sun_path); "" for none */
		unsigned mode;
	} admin;

	/* Draining (SIGUSR2): new allocations sent to these servers (300) or refused (508);
	 * turnpike exits when the last allocation ends, or at the deadline (seconds; 0: none). */
	struct {
		unsigned nalternates;
		struct tp_addr alternates[TP_CFG_MAX_ALTERNATES];
		char alternate_domain[256]; /* ALTERNATE-DOMAIN, for clients over TLS */
		unsigned deadline;
	} drain;
};

/* The address clients see for family index f's relayed address i: public when set, else
 * bind. */
static inline const struct tp_addr *
tp_cfg_public(const struct tp_config *cfg, int f, unsigned i)
{
	return cfg->fam[f].npublic ? &cfg->fam[f].public_[i] : &cfg->fam[f].bind[i];
}

/* Which of family index f's relayed addresses is ip (bind or public)? Its index, or -1 (none,
 * or the family is off). A wildcard bind (one address alone) is index 0's: the address its
 * sockets have. */
int tp_cfg_relay_index(const struct tp_config *cfg, int f, const struct tp_addr *ip);

/* The built-in defaults (conf/turnpike.conf as compiled in). Returns 0 or -1 with a message. */
int tp_config_defaults(struct tp_config *cfg, char *err, size_t errlen);
/* Read path on top of cfg. Returns 0, or -1 with "file:line: key: problem" in err. */
int tp_config_load(struct tp_config *cfg, const char *path, char *err, size_t errlen);
/* Read text (named name in messages) on top of cfg: the defaults and the tests use this. */
int tp_config_load_string(struct tp_config *cfg, const char *text, const char *name, char *err,
			  size_t errlen);
void tp_config_free(struct tp_config *cfg);

/* A reload: which keys the new file changes, by key name (the table's own strings). */
#define TP_CFG_MAX_KEYS 96
struct tp_config_changes {
	unsigned nlive, nrestart;
	const char *live[TP_CFG_MAX_KEYS];    /* changed; the reload applies them */
	const char *restart[TP_CFG_MAX_KEYS]; /* changed; they need a restart, and keep running's */
};

/* next, read whole for a reload of running: the keys it changes into ch, and those that
 * cannot change while the relay runs set back to running's values in next (its users stay
 * next's own to free). */
void tp_config_reconcile(const struct tp_config *running, struct tp_config *next,
			 struct tp_config_changes *ch);
/* The rules between keys, on cfg as it stands (a reload's file with the running values of
 * the keys that need a restart): 0, or -1 with "name: key: problem" in err. */
int tp_config_check(struct tp_config *cfg, const char *name, char *err, size_t errlen);
/* Is key one a reload applies (false: it needs a restart; unknown keys are false)? */
bool tp_config_key_is_live(const char *key);

/* The compiled-in default file. */
extern const char tp_default_config[];

#ifdef __cplusplus
}
#endif

#endif
