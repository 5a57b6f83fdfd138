/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Configuration loading with libconfig. A table names every key, its type and its limits; the
 * loader walks the file's settings and looks each one up there, so a misspelt key is an error
 * rather than a silently ignored line. Messages carry "file:line: key: problem".
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libconfig.h>
#include <net/if.h>
#include <openssl/crypto.h>

struct loader {
	struct tp_config *cfg;
	const char *name; /* file name for messages */
	char *err;
	size_t errlen;
};

struct key_spec;
typedef int (*setter)(struct loader *ld, const config_setting_t *s, const struct key_spec *k);

/* How a key's new value reaches a running relay (tp_config_reconcile). */
enum key_reload {
	LIVE,	 /* a reload applies it */
	RESTART, /* fixed while the relay runs: a reload reports it and keeps the running value */
};

struct key_spec {
	const char *path;
	setter set;
	size_t off, size; /* the field in struct tp_config */
	long min, max;	  /* integer range, or string capacity in max */
	size_t aux;	  /* where a list keeps its count (0: not a list) */
	enum key_reload reload;
};

static int
fail(struct loader *ld, const config_setting_t *s, const char *path, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	const char *file = s ? config_setting_source_file(s) : NULL;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (s)
		snprintf(ld->err, ld->errlen, "%s:%u: %s: %s", file ? file : ld->name,
			 config_setting_source_line(s), path, msg);
	else
		snprintf(ld->err, ld->errlen, "%s: %s: %s", ld->name, path, msg);
	return -1;
}

static void *
field(struct loader *ld, const struct key_spec *k)
{
	return (char *)ld->cfg + k->off;
}

static int
get_int(struct loader *ld, const config_setting_t *s, const struct key_spec *k, long *out)
{
	int type = config_setting_type(s);

	if (type != CONFIG_TYPE_INT && type != CONFIG_TYPE_INT64)
		return fail(ld, s, k->path, "expected an integer");

	long long v = config_setting_get_int64(s);

	if (v < k->min || v > k->max)
		return fail(ld, s, k->path, "must be between %ld and %ld (got %lld)", k->min,
			    k->max, v);
	*out = (long)v;
	return 0;
}

/* An integer field of k->size bytes; every range is non-negative, so unsigned stores fit. */
static int
set_int(struct loader *ld, const config_setting_t *s, const struct key_spec *k)
{
	long v = 0;

	if (get_int(ld, s, k, &v) < 0)
		return -1;
	if (k->size == sizeof(uint16_t))
		*(uint16_t *)field(ld, k) = (uint16_t)v;
	else
		*(uint32_t *)field(ld, k) = (uint32_t)v;
	return 0;
}

static int
set_bool(struct loader *ld, const config_setting_t *s, const struct key_spec *k)
{
	if (config_setting_type(s) != CONFIG_TYPE_BOOL)
		return fail(ld, s, k->path, "expected true or false");
	*(bool *)field(ld, k) = config_setting_get_bool(s);
	return 0;
}

static const char *
get_str(struct loader *ld, const config_setting_t *s, const char *path)
{
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		fail(ld, s, path, "expected a string in double quotes");
		return NULL;
	}
	return config_setting_get_string(s);
}

static int
copy_str(struct loader *ld, const config_setting_t *s, const char *path, char *dst, size_t cap)
{
	const char *v = get_str(ld, s, path);

	if (!v)
		return -1;
	if (strlen(v) >= cap)
		return fail(ld, s, path, "longer than %zu bytes", cap - 1);
	/* Zero to the end: a reload compares fields byte for byte (tp_config_reconcile). */
	memset(dst, 0, cap);
	memcpy(dst, v, strlen(v));
	return 0;
}

static int
set_str(struct loader *ld, const config_setting_t *s, const struct key_spec *k)
{
	return copy_str(ld, s, k->path, field(ld, k), (size_t)k->max);
}

static int
set_mode(struct loader *ld, const config_setting_t *s, const struct key_spec *k)
{
	const char *v = get_str(ld, s, k->path);

	if (!v)
		return -1;
	if (strcmp(v, "socket") == 0) {
		*(enum tp_mode *)field(ld, k) = TP_MODE_SOCKET;
		return 0;
	}
	if (strcmp(v, "xdp") == 0) {
		*(enum tp_mode *)field(ld, k) = TP_MODE_XDP;
		return 0;
	}
	if (strcmp(v, "dpdk") == 0) {
		*(enum tp_mode *)field(ld, k) = TP_MODE_DPDK;
		return 0;
	}
	return fail(ld, s, k->path,
		    "unknown mode \"%s\" (expected \"socket\", \"dpdk\" or \"xdp\")", v);
}

static int
set_level(struct loader *ld, const config_setting_t *s, const struct key_spec *k)
{
	static const char *const names[] = {
		[TP_LOG_ERR] = "error",
		[TP_LOG_WARN] = "warning",
		[TP_LOG_INFO] = "info",
		[TP_LOG_DEBUG] = "debug",
	};
	const char *v = get_str(ld, s, k->path);

	if (!v)
		return -1;
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(v, names[i]) == 0) {
			*(enum tp_log_level *)field(ld, k) = (enum tp_log_level)i;
			return 0;
		}
	}
	return fail(ld, s, k->path, "unknown level \"%s\" (error, warning, info, debug)", v);
}

/* One of two words: k->min names the field's true value's word (index into the pair). */
static int
set_choice(struct loader *ld, const config_setting_t *s, const struct key_spec *k, const char *no,
	   const char *yes)
{
	const char *v = get_str(ld, s, k->path);

	if (!v)
		return -1;
	if (strcmp(v, no) && strcmp(v, yes))
		return fail(ld, s, k->path, "\"%s\" is neither \"%s\" nor \"%s\"", v, no, yes);
	*(bool *)field(ld, k) = strcmp(v, yes) == 0;
	return 0;
}

static int
set_attach(struct loader *ld, const config_setting_t *s, const struct key_spec *k)
{
	return set_choice(ld, s, k, "native", "generic");
}

static int
set_tls_version(struct loader *ld, const config_setting_t *s, const struct key_spec *k)
{
	return set_choice(ld, s, k, "1.2", "1.3");
}

static int
set_nexthop(struct loader *ld, const config_setting_t *s, const struct key_spec *k)
{
	return set_choice(ld, s, k, "static", "fib");
}

/* A MAC address, or "" for none. */
static int
set_mac(struct loader *ld, const config_setting_t *s, const struct key_spec *k)
{
	struct tp_cfg_mac *mac = field(ld, k);
	const char *v = get_str(ld, s, k->path);
	unsigned b[6];
	char tail;

	if (!v)
		return -1;
	memset(mac, 0, sizeof(*mac));
	mac->set = v[0] != '\0';
	if (!mac->set)
		return 0;
	if (sscanf(v, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &tail) != 6 ||
	    strlen(v) != 17)
		return fail(ld, s, k->path, "\"%s\" is not a MAC address (aa:bb:cc:dd:ee:ff)", v);
	for (int i = 0; i < 6; i++)
		mac->addr[i] = (uint8_t)b[i];
	return 0;
}

/* s, a list of max entries at most (what they are, and an example, for the messages): its
 * length in *n; -1 when it is not such a list (said). */
static int
list_length(struct loader *ld, const config_setting_t *s, const char *path, long max,
	    const char *what, const char *example, int *n)
{
	*n = config_setting_length(s);
	if (config_setting_type(s) != CONFIG_TYPE_ARRAY &&
	    config_setting_type(s) != CONFIG_TYPE_LIST)
		return fail(ld, s, path, "expected a list of %s: [ %s ]", what, example);
	if (*n > max)
		return fail(ld, s, path, "at most %ld %s", max, what);
	return 0;
}

/* One element of a list, e (named path in messages), into dst of size bytes. */
typedef int (*element_setter)(struct loader *ld, const config_setting_t *e, const char *path,
			      void *dst, size_t size);

/* A list of at most k->max elements (what they are, and an example, for the messages) set one
 * by one into the array at k->off, each size bytes; the count goes to the unsigned at k->aux.
 * The whole array is zeroed first: a reload compares it byte for byte. */
static int
set_list(struct loader *ld, const config_setting_t *s, const struct key_spec *k, const char *what,
	 const char *example, size_t size, element_setter set)
{
	char *arr = field(ld, k), path[128];
	int n;

	if (list_length(ld, s, k->path, k->max, what, example, &n) < 0)
		return -1;
	memset(arr, 0, k->size);
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s[%d]", k->path, i);
		if (set(ld, config_setting_get_elem(s, (unsigned)i), path, arr + (size_t)i * size,
			size) < 0)
			return -1;
	}
	*(unsigned *)((char *)ld->cfg + k->aux) = (unsigned)n;
	return 0;
}

static int
set_prefix_len(struct loader *ld, const config_setting_t *s, const struct key_spec *k)
{
	long v = 0;

	if (get_int(ld, s, k, &v) < 0)
		return -1;
	*(uint8_t *)field(ld, k) = (uint8_t)v;
	return 0;
}

static int
set_ifname(struct loader *ld, const config_setting_t *s, const struct key_spec *k)
{
	const char *v = get_str(ld, s, k->path);

	if (!v)
		return -1;
	if (strlen(v) >= IF_NAMESIZE || strpbrk(v, " /:"))
		return fail(ld, s, k->path, "\"%s\" is not an interface name", v);
	memset(field(ld, k), 0, k->size);
	memcpy(field(ld, k), v, strlen(v));
	return 0;
}

/* k->min holds the family the address must have; with k->max, "" leaves it unset. */
static int
set_addr(struct loader *ld, const config_setting_t *s, const struct key_spec *k)
{
	const char *v = get_str(ld, s, k->path);
	struct tp_addr *a = field(ld, k);

	if (!v)
		return -1;
	if (k->max && v[0] == '\0') {
		memset(a, 0, sizeof(*a));
		return 0;
	}
	if (tp_addr_parse_ip(a, v) < 0)
		return fail(ld, s, k->path, "\"%s\" is not a numeric IP address", v);
	if (a->family != k->min)
		return fail(ld, s, k->path, "\"%s\" is not an %s address", v,
			    k->min == TP_FAM_V4 ? "IPv4" : "IPv6");
	return 0;
}

/* One address of family fam (a relayed address, path names it) into a. */
static int
parse_relay_addr(struct loader *ld, const config_setting_t *e, const char *path, int fam,
		 struct tp_addr *a)
{
	const char *v = get_str(ld, e, path);

	if (!v)
		return -1;
	if (tp_addr_parse_ip(a, v) < 0)
		return fail(ld, e, path, "\"%s\" is not a numeric IP address", v);
	if (a->family != fam)
		return fail(ld, e, path, "\"%s\" is not an %s address", v,
			    fam == TP_FAM_V4 ? "IPv4" : "IPv6");
	return 0;
}

/*
 * relay.ipv4.bind and .public, relay.ipv6's: one address (a string), or several (a list of
 * strings), of family k->min, k->max at most; "" is none. The count goes to the unsigned at
 * k->aux. Whole-configuration rules (bind and public pair up) are config_check's.
 */
static int
set_relay_addrs(struct loader *ld, const config_setting_t *s, const struct key_spec *k)
{
	struct tp_addr *arr = field(ld, k);
	unsigned *count = (unsigned *)((char *)ld->cfg + k->aux);
	char path[128];
	int n;

	memset(arr, 0, k->size);
	*count = 0;
	if (config_setting_type(s) == CONFIG_TYPE_STRING) {
		const char *v = get_str(ld, s, k->path);

		if (!v)
			return -1;
		if (v[0] == '\0')
			return 0;
		if (parse_relay_addr(ld, s, k->path, (int)k->min, &arr[0]) < 0)
			return -1;
		*count = 1;
		return 0;
	}
	if (list_length(ld, s, k->path, k->max, "addresses", "\"192.0.2.1\", \"192.0.2.2\"", &n) <
	    0)
		return -1;
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s[%d]", k->path, i);
		if (parse_relay_addr(ld, config_setting_get_elem(s, (unsigned)i), path, (int)k->min,
				     &arr[i]) < 0)
			return -1;
	}
	*count = (unsigned)n;
	return 0;
}

/* flows.output: off, one of the two streams, or a file. */
static int
set_flow_output(struct loader *ld, const config_setting_t *s, const struct key_spec *k)
{
	char *out = field(ld, k);

	if (copy_str(ld, s, k->path, out, (size_t)k->max) < 0)
		return -1;
	if (out[0] && out[0] != '/' && strcmp(out, "stdout") != 0 && strcmp(out, "syslog") != 0)
		return fail(ld, s, k->path,
			    "\"%s\": expected \"\" (off), \"stdout\", \"syslog\" or an absolute "
			    "file path",
			    out);
	return 0;
}

/* v, an address and port ("127.0.0.1:9641", "[::1]:9641"), into a. */
static int
parse_endpoint(struct loader *ld, const config_setting_t *s, const char *path, const char *v,
	       struct tp_addr *a)
{
	const char *ip, *port_text;
	char text[64];
	char *end;
	size_t n;
	long port;

	if (v[0] == '[') {
		const char *close = strchr(v, ']');

		ip = v + 1;
		n = close ? (size_t)(close - ip) : 0;
		port_text = close && close[1] == ':' ? close + 2 : NULL;
	} else {
		const char *colon = strchr(v, ':');

		ip = v;
		n = colon ? (size_t)(colon - v) : 0;
		port_text = colon && !strchr(colon + 1, ':') ? colon + 1 : NULL;
	}
	if (!port_text || !n || n >= sizeof(text))
		return fail(ld, s, path, "\"%s\": expected address:port ([address]:port for IPv6)",
			    v);
	port = strtol(port_text, &end, 10);
	if (*end || end == port_text || port < 1 || port > 65535)
		return fail(ld, s, path, "\"%s\": the port must be 1-65535", v);
	memcpy(text, ip, n);
	text[n] = '\0';
	if (tp_addr_parse_ip(a, text) < 0)
		return fail(ld, s, path, "\"%s\" is not a numeric IP address", text);
	a->port = (uint16_t)port;
	return 0;
}

/* "address:port" ("[address]:port" for IPv6), or "" for none (family NONE). */
static int
set_endpoint(struct loader *ld, const config_setting_t *s, const struct key_spec *k)
{
	const char *v = get_str(ld, s, k->path);
	struct tp_addr *a = field(ld, k);

	if (!v)
		return -1;
	memset(a, 0, sizeof(*a));
	return v[0] ? parse_endpoint(ld, s, k->path, v, a) : 0;
}

static int
set_secrets(struct loader *ld, const config_setting_t *s, const struct key_spec *k)
{
	struct tp_config *cfg = ld->cfg;
	int n = config_setting_length(s);
	char path[64];

	if (config_setting_type(s) != CONFIG_TYPE_ARRAY &&
	    config_setting_type(s) != CONFIG_TYPE_LIST)
		return fail(ld, s, k->path, "expected a list of strings: [ \"...\" ]");
	if (n > TP_CFG_MAX_SECRETS)
		return fail(ld, s, k->path, "at most %d secrets", TP_CFG_MAX_SECRETS);
	memset(cfg->secrets, 0, sizeof(cfg->secrets));
	cfg->nsecrets = 0;
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);

		snprintf(path, sizeof(path), "%s[%d]", k->path, i);
		if (copy_str(ld, e, path, cfg->secrets[i], sizeof(cfg->secrets[i])) < 0)
			return -1;
		if (cfg->secrets[i][0] == '\0')
			return fail(ld, e, path, "a secret must not be empty");
		cfg->nsecrets++;
	}
	return 0;
}

static int
parse_hex_key(const char *v, uint8_t key[16])
{
	size_t len = 0;

	if (v[0] == '0' && (v[1] == 'x' || v[1] == 'X'))
		v += 2;
	if (strlen(v) != 32 || OPENSSL_hexstr2buf_ex(key, 16, &len, v, '\0') != 1 || len != 16)
		return -1;
	return 0;
}

static int
set_user(struct loader *ld, const config_setting_t *g, const char *path, struct tp_cfg_user *u)
{
	char kpath[96];
	const config_setting_t *name = NULL, *pass = NULL, *key = NULL;

	memset(u, 0, sizeof(*u));
	if (config_setting_type(g) != CONFIG_TYPE_GROUP)
		return fail(ld, g, path,
			    "expected a group: { name = \"...\"; password = \"...\"; }");
	for (int i = 0; i < config_setting_length(g); i++) {
		const config_setting_t *e = config_setting_get_elem(g, (unsigned)i);
		const char *n = config_setting_name(e);

		if (strcmp(n, "name") == 0)
			name = e;
		else if (strcmp(n, "password") == 0)
			pass = e;
		else if (strcmp(n, "key") == 0)
			key = e;
		else
			return fail(ld, e, path, "unknown key \"%s\" (name, password, key)", n);
	}
	if (!name)
		return fail(ld, g, path, "missing \"name\"");
	snprintf(kpath, sizeof(kpath), "%s.name", path);
	if (copy_str(ld, name, kpath, u->name, sizeof(u->name)) < 0)
		return -1;
	if (u->name[0] == '\0')
		return fail(ld, name, kpath, "must not be empty");
	if (!pass == !key)
		return fail(ld, g, path, "give exactly one of \"password\" and \"key\"");
	if (pass) {
		snprintf(kpath, sizeof(kpath), "%s.password", path);
		return copy_str(ld, pass, kpath, u->password, sizeof(u->password));
	}
	snprintf(kpath, sizeof(kpath), "%s.key", path);

	const char *v = get_str(ld, key, kpath);

	if (!v)
		return -1;
	if (parse_hex_key(v, u->key) < 0)
		return fail(ld, key, kpath, "expected 32 hex digits (MD5 of name:realm:password)");
	u->has_key = true;
	return 0;
}

static int
set_users(struct loader *ld, const config_setting_t *s, const struct key_spec *k)
{
	struct tp_config *cfg = ld->cfg;
	int n = config_setting_length(s);
	struct tp_cfg_user *users;
	char path[64];

	if (config_setting_type(s) != CONFIG_TYPE_LIST)
		return fail(ld, s, k->path, "expected a list of groups: ( { name = ...; }, ... )");
	if (n > TP_CFG_MAX_USERS)
		return fail(ld, s, k->path, "at most %d users", TP_CFG_MAX_USERS);
	users = calloc(n ? (size_t)n : 1, sizeof(*users));
	if (!users)
		return fail(ld, s, k->path, "out of memory");
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s[%d]", k->path, i);
		if (set_user(ld, config_setting_get_elem(s, (unsigned)i), path, &users[i]) < 0) {
			free(users);
			return -1;
		}
		for (int j = 0; j < i; j++)
			if (strcmp(users[j].name, users[i].name) == 0) {
				const config_setting_t *dup =
					config_setting_get_elem(s, (unsigned)i);

				fail(ld, dup, path, "user \"%s\" listed twice", users[i].name);
				free(users);
				return -1;
			}
	}
	free(cfg->users);
	cfg->users = users;
	cfg->nusers = (unsigned)n;
	return 0;
}

static int
string_element(struct loader *ld, const config_setting_t *e, const char *path, void *dst,
	       size_t size)
{
	return copy_str(ld, e, path, dst, size);
}

static int
endpoint_element(struct loader *ld, const config_setting_t *e, const char *path, void *dst,
		 size_t size)
{
	const char *v = get_str(ld, e, path);

	(void)size;
	return v ? parse_endpoint(ld, e, path, v, dst) : -1;
}

static int
prefix_element(struct loader *ld, const config_setting_t *e, const char *path, void *dst,
	       size_t size)
{
	const char *v = get_str(ld, e, path);

	(void)size;
	if (!v)
		return -1;
	if (tp_prefix_parse(dst, v) < 0)
		return fail(ld, e, path,
			    "\"%s\" is not an address or prefix (a.b.c.d/n, x::y/n; host bits must "
			    "be zero)",
			    v);
	return 0;
}

/* Strings of k->min bytes each (a char[][k->min]). */
static int
set_strings(struct loader *ld, const config_setting_t *s, const struct key_spec *k)
{
	return set_list(ld, s, k, "strings", "\"...\"", (size_t)k->min, string_element);
}

/* "address:port" each. */
static int
set_endpoints(struct loader *ld, const config_setting_t *s, const struct key_spec *k)
{
	return set_list(ld, s, k, "addresses", "\"address:port\"", sizeof(struct tp_addr),
			endpoint_element);
}

static int
set_prefixes(struct loader *ld, const config_setting_t *s, const struct key_spec *k)
{
	return set_list(ld, s, k, "prefixes", "\"10.0.0.0/8\"", sizeof(struct tp_prefix),
			prefix_element);
}

/* admin.socket: an absolute path that fits a UNIX socket's address. */
static int
set_admin_socket(struct loader *ld, const config_setting_t *s, const struct key_spec *k)
{
	char *path = field(ld, k);

	if (copy_str(ld, s, k->path, path, (size_t)k->max) < 0)
		return -1;
	if (path[0] && path[0] != '/')
		return fail(ld, s, k->path, "\"%s\": expected an absolute path (or \"\": none)",
			    path);
	return 0;
}

/* A file mode, in octal as chmod takes it ("0600"), up to k->max. */
static int
set_file_mode(struct loader *ld, const config_setting_t *s, const struct key_spec *k)
{
	const char *v = get_str(ld, s, k->path);
	char *end;
	long mode;

	if (!v)
		return -1;
	mode = strtol(v, &end, 8);
	if (!v[0] || *end || mode < 0 || mode > k->max)
		return fail(ld, s, k->path, "\"%s\": expected an octal file mode (\"0600\")", v);
	*(unsigned *)field(ld, k) = (unsigned)mode;
	return 0;
}

#define CFG(f)	offsetof(struct tp_config, f)
#define SIZE(f) sizeof(((struct tp_config *)0)->f)
/* A key of field f, set by set with the limits min and max. */
#define KEY(path, set, f, min, max, reload)                     \
	{                                                       \
		path, set, CFG(f), SIZE(f), min, max, 0, reload \
	}
/* A list at f, its count in the unsigned field n. */
#define LIST(path, set, f, n, min, max, reload)                      \
	{                                                            \
		path, set, CFG(f), SIZE(f), min, max, CFG(n), reload \
	}
#define INT(path, f, min, max, reload) KEY(path, set_int, f, min, max, reload)
#define STR(path, f, reload)	       KEY(path, set_str, f, 0, SIZE(f), reload)
#define BOOL(path, f, reload)	       KEY(path, set_bool, f, 0, 0, reload)

static const struct key_spec keys[] = {
	KEY("dataplane.mode", set_mode, mode, 0, 0, RESTART),
	KEY("log.level", set_level, log_level, 0, 0, LIVE),
	INT("relay.listen-port", listen_port, 1, 65535, RESTART),
	INT("relay.port-min", port_min, 1024, 65535, RESTART),
	INT("relay.port-max", port_max, 1024, 65535, RESTART),
	BOOL("relay.tcp.enabled", tcp.enabled, RESTART),
	INT("relay.tcp.port", tcp.port, 1, 65535, RESTART),
	BOOL("relay.dtls.enabled", dtls.enabled, RESTART),
	INT("relay.dtls.port", dtls.port, 1, 65535, RESTART),
	BOOL("relay.tls.enabled", tls.enabled, RESTART),
	INT("relay.tls.port", tls.port, 1, 65535, RESTART),
	STR("relay.tls.certificate", tls.certificate, LIVE),
	STR("relay.tls.private-key", tls.private_key, LIVE),
	KEY("relay.tls.min-version", set_tls_version, tls.min_13, 0, 0, LIVE),
	STR("relay.tls.ciphers", tls.ciphers, LIVE),
	STR("relay.tls.ciphersuites", tls.ciphersuites, LIVE),
	BOOL("relay.ipv4.enabled", fam[0].enabled, RESTART),
	LIST("relay.ipv4.bind", set_relay_addrs, fam[0].bind, fam[0].naddrs, TP_FAM_V4,
	     TP_CFG_MAX_RELAY_ADDRS, RESTART),
	LIST("relay.ipv4.public", set_relay_addrs, fam[0].public_, fam[0].npublic, TP_FAM_V4,
	     TP_CFG_MAX_RELAY_ADDRS, RESTART),
	BOOL("relay.ipv6.enabled", fam[1].enabled, RESTART),
	LIST("relay.ipv6.bind", set_relay_addrs, fam[1].bind, fam[1].naddrs, TP_FAM_V6,
	     TP_CFG_MAX_RELAY_ADDRS, RESTART),
	LIST("relay.ipv6.public", set_relay_addrs, fam[1].public_, fam[1].npublic, TP_FAM_V6,
	     TP_CFG_MAX_RELAY_ADDRS, RESTART),
	STR("relay.software", software, LIVE),
	BOOL("relay.software-unauthenticated", software_unauthenticated, LIVE),
	KEY("auth.realm", set_str, realm, 0, TP_CFG_NAME_MAX, RESTART),
	INT("auth.nonce-lifetime", nonce_lifetime, 10, 86400, LIVE),
	LIST("auth.secrets", set_secrets, secrets, nsecrets, 0, TP_CFG_MAX_SECRETS, LIVE),
	LIST("auth.users", set_users, users, nusers, 0, TP_CFG_MAX_USERS, LIVE),
	INT("lifetimes.allocation-default", alloc_lifetime_default, 60, 86400, LIVE),
	INT("lifetimes.allocation-max", alloc_lifetime_max, 60, 86400, LIVE),
	INT("lifetimes.permission", perm_lifetime, 30, 3600, LIVE),
	INT("lifetimes.channel", chan_lifetime, 60, 3600, LIVE),
	INT("limits.max-allocations", max_allocations, 1, 10000000, LIVE),
	INT("limits.max-allocations-per-user", max_allocations_per_user, 0, 10000000, LIVE),
	INT("limits.max-permissions-per-allocation", max_permissions, 1, 65536, LIVE),
	INT("limits.max-channels-per-allocation", max_channels, 1, 16384, LIVE),
	INT("limits.unauthenticated-burst", unauth_burst, 1024, 16777215, LIVE),
	INT("limits.unauthenticated-rate", unauth_rate, 0, 16777215, LIVE),
	INT("limits.unauthenticated-sources", unauth_sources, 64, 16777216, RESTART),
	INT("limits.max-connections", max_connections, 1, 1000000, LIVE),
	INT("limits.max-connections-per-source", max_connections_per_source, 1, 1000000, LIVE),
	INT("limits.handshake-timeout", handshake_timeout, 1, 300, LIVE),
	INT("limits.connection-idle", connection_idle, 1, 3600, LIVE),
	BOOL("peers.deny-private", deny_private, LIVE),
	LIST("peers.deny", set_prefixes, deny, ndeny, 0, TP_CFG_MAX_PREFIXES, LIVE),
	LIST("peers.allow", set_prefixes, allow, nallow, 0, TP_CFG_MAX_PREFIXES, LIVE),
	BOOL("peers.allow-relay-ports", allow_relay_ports, LIVE),
	INT("socket.rcvbuf", socket_rcvbuf, 0, 1 << 30, RESTART),
	INT("socket.sndbuf", socket_sndbuf, 0, 1 << 30, RESTART),
	KEY("xdp.interface", set_ifname, xdp.interface, 0, 0, RESTART),
	KEY("xdp.attach", set_attach, xdp.generic, 0, 0, RESTART),
	KEY("xdp.nexthop", set_nexthop, xdp.fib, 0, 0, RESTART),
	KEY("xdp.nexthop-mac", set_mac, xdp.nexthop_mac, 0, 0, RESTART),
	INT("xdp.max-bindings", xdp.max_bindings, 1024, 16777216, RESTART),
	STR("dpdk.lcores", dpdk.lcores, RESTART),
	STR("dpdk.file-prefix", dpdk.file_prefix, RESTART),
	LIST("dpdk.eal-args", set_strings, dpdk.eal_args, dpdk.neal_args, 128, TP_CFG_MAX_EAL_ARGS,
	     RESTART),
	LIST("dpdk.ports", set_strings, dpdk.ports, dpdk.nports, 256, TP_CFG_MAX_PORTS, RESTART),
	INT("dpdk.rx-descriptors", dpdk.rx_desc, 64, 16384, RESTART),
	INT("dpdk.tx-descriptors", dpdk.tx_desc, 64, 16384, RESTART),
	INT("dpdk.mempool-size", dpdk.mempool_size, 1023, 16777215, RESTART),
	INT("dpdk.mtu", dpdk.mtu, 576, 9600, RESTART),
	BOOL("dpdk.rss", dpdk.rss, RESTART),
	KEY("dpdk.ipv4.prefix-length", set_prefix_len, dpdk.prefix_len[0], 0, 32, RESTART),
	KEY("dpdk.ipv4.gateway", set_addr, dpdk.gateway[0], TP_FAM_V4, 1, RESTART),
	KEY("dpdk.ipv6.prefix-length", set_prefix_len, dpdk.prefix_len[1], 0, 128, RESTART),
	KEY("dpdk.ipv6.gateway", set_addr, dpdk.gateway[1], TP_FAM_V6, 1, RESTART),
	KEY("dpdk.nexthop-mac", set_mac, dpdk.nexthop_mac, 0, 0, RESTART),
	INT("dpdk.max-bindings", dpdk.max_bindings, 1024, 16777216, RESTART),
	INT("dpdk.stats-interval", dpdk.stats_interval, 0, 86400, RESTART),
	KEY("dpdk.kernel-interface", set_ifname, dpdk.kernel_interface, 0, 0, RESTART),
	KEY("flows.output", set_flow_output, flows.output, 0, SIZE(flows.output), LIVE),
	INT("flows.interval", flows.interval, 0, 86400, LIVE),
	INT("flows.queue", flows.queue, 16, 1048576, LIVE),
	KEY("metrics.listen", set_endpoint, metrics.listen, 0, 0, LIVE),
	KEY("admin.socket", set_admin_socket, admin.socket, 0, SIZE(admin.socket), RESTART),
	KEY("admin.mode", set_file_mode, admin.mode, 0, 0777, RESTART),
	LIST("drain.alternate-servers", set_endpoints, drain.alternates, drain.nalternates, 0,
	     TP_CFG_MAX_ALTERNATES, LIVE),
	STR("drain.alternate-domain", drain.alternate_domain, LIVE),
	INT("drain.deadline", drain.deadline, 0, 604800, LIVE),
};

static const struct key_spec *
find_key(const char *path)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(keys[i].path, path) == 0)
			return &keys[i];
	return NULL;
}

/* Is path a group that some key lives in ("relay", "relay.ipv4")? */
static bool
is_group(const char *path)
{
	size_t n = strlen(path);

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strncmp(keys[i].path, path, n) == 0 && keys[i].path[n] == '.')
			return true;
	return false;
}

static int
walk(struct loader *ld, const config_setting_t *group, const char *prefix)
{
	for (int i = 0; i < config_setting_length(group); i++) {
		const config_setting_t *s = config_setting_get_elem(group, (unsigned)i);
		char path[128];

		snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? "." : "",
			 config_setting_name(s));
		if (is_group(path)) {
			if (config_setting_type(s) != CONFIG_TYPE_GROUP)
				return fail(ld, s, path, "expected a group: %s: { ... };", path);
			if (walk(ld, s, path) < 0)
				return -1;
			continue;
		}

		const struct key_spec *k = find_key(path);

		if (!k)
			return fail(ld, s, path, "unknown key");
		if (k->set(ld, s, k) < 0)
			return -1;
	}
	return 0;
}

/* The first of keys (NULL-terminated) that this file sets, or NULL: where to point. */
static const config_setting_t *
first_set(const config_t *c, const char *const *keys, const char **path)
{
	for (const char *const *k = keys; *k; k++) {
		const config_setting_t *s = config_lookup(c, *k);

		if (s) {
			*path = *k;
			return s;
		}
	}
	*path = keys[0];
	return NULL;
}

#define KEYS(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* lo must not exceed hi: said at whichever of the two this file sets. */
static int
check_order(struct loader *ld, const config_t *c, const char *lo_key, unsigned lo,
	    const char *hi_key, unsigned hi)
{
	const char *path;
	const config_setting_t *s = first_set(c, KEYS(lo_key, hi_key), &path);

	if (lo <= hi)
		return 0;
	if (path == lo_key)
		return fail(ld, s, lo_key, "%u is above %s %u", lo, hi_key, hi);
	return fail(ld, s, hi_key, "%u is below %s %u", hi, lo_key, lo);
}

/* Two of list's n addresses the same? The later one's index, or -1. */
static int
repeated_addr(const struct tp_addr *list, unsigned n)
{
	for (unsigned i = 1; i < n; i++)
		for (unsigned j = 0; j < i; j++)
			if (tp_addr_ip_eq(&list[i], &list[j]))
				return (int)i;
	return -1;
}

/* A family's relayed addresses: bind (named bind) and public (pub) pair up. */
static int
check_relay_addrs(struct loader *ld, const config_t *c, const struct tp_cfg_family *fam,
		  const char *bind, const char *pub)
{
	int dup;

	if (fam->naddrs == 0)
		return fail(ld, config_lookup(c, bind), bind, "needs an address");
	if (fam->npublic && fam->npublic != fam->naddrs)
		return fail(ld, config_lookup(c, pub), pub,
			    "has %u addresses and %s %u: one public address per bind address",
			    fam->npublic, bind, fam->naddrs);
	for (unsigned i = 0; i < fam->naddrs; i++) {
		if (!tp_addr_is_unspecified(&fam->bind[i]))
			continue;
		if (fam->naddrs > 1)
			return fail(ld, config_lookup(c, bind), bind,
				    "the unspecified address is no relayed address among several");
		if (!fam->npublic)
			return fail(ld, config_lookup(c, bind), bind,
				    "the unspecified address needs %s, the address clients reach",
				    pub);
	}
	for (unsigned i = 0; i < fam->npublic; i++)
		if (tp_addr_is_unspecified(&fam->public_[i]))
			return fail(ld, config_lookup(c, pub), pub,
				    "must be the address clients reach, not the unspecified one");
	if ((dup = repeated_addr(fam->bind, fam->naddrs)) >= 0)
		return fail(ld, config_lookup(c, bind), bind, "address %d is there twice", dup);
	if ((dup = repeated_addr(fam->public_, fam->npublic)) >= 0)
		return fail(ld, config_lookup(c, pub), pub, "address %d is there twice", dup);
	/* An address is one relayed address: as another's public address it would be two. */
	for (unsigned i = 0; i < fam->npublic; i++)
		for (unsigned j = 0; j < fam->naddrs; j++)
			if (i != j && tp_addr_ip_eq(&fam->public_[i], &fam->bind[j]))
				return fail(ld, config_lookup(c, pub), pub,
					    "address %u is %s address %u: one address, one pair", i,
					    bind, j);
	return 0;
}

/* Checks that span keys, made once the file is read, pointing at the line to change. */
static int
validate(struct loader *ld, const config_t *c)
{
	struct tp_config *cfg = ld->cfg;
	const config_setting_t *s;
	const char *path;

	if (check_order(ld, c, "relay.port-min", cfg->port_min, "relay.port-max", cfg->port_max) <
		    0 ||
	    check_order(ld, c, "lifetimes.allocation-default", cfg->alloc_lifetime_default,
			"lifetimes.allocation-max", cfg->alloc_lifetime_max) < 0)
		return -1;
	if (cfg->listen_port >= cfg->port_min && cfg->listen_port <= cfg->port_max) {
		s = first_set(c, KEYS("relay.listen-port", "relay.port-min", "relay.port-max"),
			      &path);
		if (strcmp(path, "relay.listen-port") == 0)
			return fail(ld, s, path, "%u lies in the allocation range %u-%u",
				    cfg->listen_port, cfg->port_min, cfg->port_max);
		return fail(ld, s, path, "the allocation range %u-%u holds relay.listen-port %u",
			    cfg->port_min, cfg->port_max, cfg->listen_port);
	}
	if (!cfg->fam[0].enabled && !cfg->fam[1].enabled) {
		s = first_set(c, KEYS("relay.ipv4.enabled", "relay.ipv6.enabled"), &path);
		return fail(ld, s, path, "ipv4 and ipv6 cannot both be disabled");
	}
	for (int f = 0; f < TP_NFAM; f++) {
		const struct tp_cfg_family *fam = &cfg->fam[f];
		const char *bind = f == 0 ? "relay.ipv4.bind" : "relay.ipv6.bind";
		const char *pub = f == 0 ? "relay.ipv4.public" : "relay.ipv6.public";

		if (!fam->enabled)
			continue;
		if (check_relay_addrs(ld, c, fam, bind, pub) < 0)
			return -1;
	}
	if (cfg->tcp.enabled && cfg->tls.enabled && cfg->tcp.port == cfg->tls.port) {
		s = first_set(c, KEYS("relay.tls.port", "relay.tcp.port"), &path);
		return fail(ld, s, path, "TCP and TLS cannot share port %u", cfg->tls.port);
	}
	if (cfg->dtls.enabled &&
	    (cfg->dtls.port == cfg->listen_port ||
	     (cfg->dtls.port >= cfg->port_min && cfg->dtls.port <= cfg->port_max))) {
		s = first_set(c, KEYS("relay.dtls.port", "relay.dtls.enabled"), &path);
		return fail(ld, s, "relay.dtls.port",
			    "%u is a UDP port the relay uses already (relay.listen-port, or the "
			    "allocation range)",
			    cfg->dtls.port);
	}
	if ((cfg->tls.enabled || cfg->dtls.enabled) &&
	    (!cfg->tls.certificate[0] || !cfg->tls.private_key[0])) {
		const char *key =
			cfg->tls.certificate[0] ? "relay.tls.private-key" : "relay.tls.certificate";

		s = first_set(c, KEYS("relay.tls.enabled", "relay.dtls.enabled"), &path);
		return fail(ld, s, key,
			    "TLS and DTLS need the certificate chain and its private key (PEM "
			    "files)");
	}
	if (cfg->mode == TP_MODE_DPDK && !cfg->dpdk.kernel_interface[0] &&
	    (cfg->tcp.enabled || cfg->tls.enabled || cfg->dtls.enabled)) {
		s = first_set(c,
			      KEYS("relay.tcp.enabled", "relay.tls.enabled", "relay.dtls.enabled"),
			      &path);
		return fail(ld, s, path,
			    "in dpdk mode TCP, TLS and DTLS reach their kernel listeners through "
			    "dpdk.kernel-interface: name one (\"tp0\")");
	}
	if (cfg->realm[0] == '\0')
		return fail(ld, config_lookup(c, "auth.realm"), "auth.realm", "must not be empty");
	if (cfg->mode == TP_MODE_XDP && cfg->xdp.interface[0] == '\0') {
		s = first_set(c, KEYS("xdp.interface", "dataplane.mode"), &path);
		return fail(ld, s, "xdp.interface", "xdp mode needs the interface to attach to");
	}
	if (cfg->mode == TP_MODE_XDP && !cfg->xdp.fib && !cfg->xdp.nexthop_mac.set) {
		s = first_set(c, KEYS("xdp.nexthop-mac", "xdp.nexthop"), &path);
		return fail(ld, s, "xdp.nexthop-mac",
			    "xdp.nexthop = \"static\" needs the router's MAC address");
	}
	/* The fast paths know a frame for the relay by its destination address: a wildcard bind
	 * would leave every frame to the kernel (xdp) or answer for no address at all (dpdk). */
	for (int f = 0; f < 2 && cfg->mode != TP_MODE_SOCKET; f++) {
		const char *bind = f ? "relay.ipv6.bind" : "relay.ipv4.bind";

		if (cfg->fam[f].enabled && tp_addr_is_unspecified(&cfg->fam[f].bind[0]))
			return fail(ld, config_lookup(c, bind), bind,
				    "%s mode relays by destination address: name the interface's "
				    "address, not the unspecified one",
				    cfg->mode == TP_MODE_XDP ? "xdp" : "dpdk");
	}
	if (cfg->mode == TP_MODE_DPDK && cfg->dpdk.nports == 0) {
		s = first_set(c, KEYS("dpdk.ports", "dataplane.mode"), &path);
		return fail(ld, s, "dpdk.ports", "dpdk mode needs at least one port");
	}
	if (cfg->mode == TP_MODE_DPDK && cfg->allow_relay_ports)
		return fail(
			ld, config_lookup(c, "peers.allow-relay-ports"), "peers.allow-relay-ports",
			"dpdk mode owns the port: the relay's address has no services of its own "
			"to reach");
	if (cfg->mode == TP_MODE_DPDK && cfg->dpdk.lcores[0] == '\0') {
		s = first_set(c, KEYS("dpdk.lcores", "dataplane.mode"), &path);
		return fail(ld, s, "dpdk.lcores",
			    "dpdk mode needs its cores (\"0-1\": control, worker)");
	}
	return 0;
}

/* Walk a parsed file's settings into the config, then the rules between keys. */
static int
apply(struct loader *ld, config_t *c)
{
	int ret = walk(ld, config_root_setting(c), "");

	if (ret == 0)
		ret = validate(ld, c);
	config_destroy(c);
	return ret;
}

int
tp_config_load_string(struct tp_config *cfg, const char *text, const char *name, char *err,
		      size_t errlen)
{
	struct loader ld = { cfg, name, err, errlen };
	config_t c;

	config_init(&c);
	if (!config_read_string(&c, text)) {
		snprintf(err, errlen, "%s:%d: %s", name, config_error_line(&c),
			 config_error_text(&c));
		config_destroy(&c);
		return -1;
	}
	return apply(&ld, &c);
}

int
tp_config_load(struct tp_config *cfg, const char *path, char *err, size_t errlen)
{
	struct loader ld = { cfg, path, err, errlen };
	config_t c;

	config_init(&c);
	if (!config_read_file(&c, path)) {
		if (config_error_type(&c) == CONFIG_ERR_FILE_IO)
			snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
		else
			snprintf(err, errlen, "%s:%d: %s",
				 config_error_file(&c) ? config_error_file(&c) : path,
				 config_error_line(&c), config_error_text(&c));
		config_destroy(&c);
		return -1;
	}
	return apply(&ld, &c);
}

int
tp_config_defaults(struct tp_config *cfg, char *err, size_t errlen)
{
	memset(cfg, 0, sizeof(*cfg));
	return tp_config_load_string(cfg, tp_default_config, "(built-in conf/turnpike.conf)", err,
				     errlen);
}

int
tp_cfg_relay_index(const struct tp_config *cfg, int f, const struct tp_addr *ip)
{
	const struct tp_cfg_family *fam = &cfg->fam[f];

	if (!fam->enabled)
		return -1;
	for (unsigned i = 0; i < fam->naddrs; i++)
		if (tp_addr_ip_eq(&fam->bind[i], ip) ||
		    (fam->npublic && tp_addr_ip_eq(&fam->public_[i], ip)))
			return (int)i;
	return -1;
}

void
tp_config_free(struct tp_config *cfg)
{
	free(cfg->users);
	cfg->users = NULL;
	cfg->nusers = 0;
}

/* Reload --------------------------------------------------------------------------------- */

/* Do a and b hold the same value for k? Every setter zeroes what it does not fill, so a
 * field is compared byte for byte; a list's count goes with it, and users by content. */
static bool
same_value(const struct tp_config *a, const struct tp_config *b, const struct key_spec *k)
{
	const char *fa = (const char *)a + k->off, *fb = (const char *)b + k->off;

	if (k->set == set_users)
		return a->nusers == b->nusers &&
		       (!a->nusers || !memcmp(a->users, b->users, a->nusers * sizeof(*a->users)));
	if (k->aux && *(const unsigned *)((const char *)a + k->aux) !=
			      *(const unsigned *)((const char *)b + k->aux))
		return false;
	return memcmp(fa, fb, k->size) == 0;
}

void
tp_config_reconcile(const struct tp_config *running, struct tp_config *next,
		    struct tp_config_changes *ch)
{
	memset(ch, 0, sizeof(*ch));
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const struct key_spec *k = &keys[i];

		if (same_value(running, next, k))
			continue;
		if (k->reload == LIVE) {
			ch->live[ch->nlive++] = k->path;
			continue;
		}
		ch->restart[ch->nrestart++] = k->path;
		/* No restart key is users, the one field that owns memory. */
		memcpy((char *)next + k->off, (const char *)running + k->off, k->size);
		if (k->aux)
			memcpy((char *)next + k->aux, (const char *)running + k->aux,
			       sizeof(unsigned));
	}
}

int
tp_config_check(struct tp_config *cfg, const char *name, char *err, size_t errlen)
{
	struct loader ld = { cfg, name, err, errlen };
	config_t none;
	int ret;

	/* No file behind it: the messages name the key alone. */
	config_init(&none);
	ret = validate(&ld, &none);
	config_destroy(&none);
	return ret;
}

bool
tp_config_key_is_live(const char *key)
{
	const struct key_spec *k = find_key(key);

	return k && k->reload == LIVE;
}
