/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * turnpike: a TURN relay (RFC 8656 over UDP). main() reads the command line and the config,
 * then runs the control loop on the dataplane the config names. Nothing else happens here.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "dataplane.h"
#include "log.h"
#include "loop.h"

#ifndef TP_VERSION
#define TP_VERSION "dev"
#endif

static void
usage(FILE *f)
{
	fprintf(f, "usage: turnpike [-c FILE]             run the relay (built-in defaults without "
		   "-c)\n"
		   "       turnpike --check-config FILE   validate FILE and exit\n"
		   "       turnpike --print-defaults      print the built-in configuration\n"
		   "       turnpike --version\n");
}

/* The dataplanes this build has, by dataplane.mode (meson's dpdk and xdp options). */
static const struct {
	enum tp_mode mode;
	const char *name, *option;
	const struct tp_dataplane *dp;
} dataplanes[] = {
	{ TP_MODE_SOCKET, "socket", NULL, &tp_socket_dataplane },
#ifdef TP_HAVE_XDP
	{ TP_MODE_XDP, "xdp", "xdp", &tp_xdp_dataplane },
#else
	{ TP_MODE_XDP, "xdp", "xdp", NULL },
#endif
#ifdef TP_HAVE_DPDK
	{ TP_MODE_DPDK, "dpdk", "dpdk", &tp_dpdk_dataplane },
#else
	{ TP_MODE_DPDK, "dpdk", "dpdk", NULL },
#endif
};

/* The configuration from path (the built-in one alone when NULL), with the dataplane it names:
 * NULL, said on stderr, when the file is wrong or names a dataplane not built in. */
static const struct tp_dataplane *
load(struct tp_config *cfg, const char *path)
{
	char err[768];

	if (tp_config_defaults(cfg, err, sizeof(err)) < 0 ||
	    (path && tp_config_load(cfg, path, err, sizeof(err)) < 0)) {
		fprintf(stderr, "turnpike: %s\n", err);
		return NULL;
	}
	for (size_t i = 0; i < sizeof(dataplanes) / sizeof(dataplanes[0]); i++) {
		if (dataplanes[i].mode != cfg->mode)
			continue;
		if (dataplanes[i].dp)
			return dataplanes[i].dp;
		fprintf(stderr,
			"turnpike: %s: dataplane.mode: \"%s\" is not in this build of turnpike "
			"(built "
			"with meson's -D%s=disabled, or without its libraries: meson setup "
			"-D%s=enabled says which are missing)\n",
			path ? path : "built-in configuration", dataplanes[i].name,
			dataplanes[i].option, dataplanes[i].option);
		break;
	}
	tp_config_free(cfg);
	return NULL;
}

/* path, absolute: the working directory before it when it is relative (malloc'd; NULL with
 * errno set). */
static char *
absolute(const char *path)
{
	char cwd[4096], *out;

	if (path[0] == '/')
		return strdup(path);
	if (!getcwd(cwd, sizeof(cwd)))
		return NULL;
	if (asprintf(&out, "%s/%s", cwd, path) < 0)
		return NULL;
	return out;
}

/* --version: the release, and the dataplanes built in. */
static void
version(void)
{
	printf("turnpike %s (dataplanes:", TP_VERSION);
	for (size_t i = 0; i < sizeof(dataplanes) / sizeof(dataplanes[0]); i++)
		if (dataplanes[i].dp)
			printf(" %s", dataplanes[i].name);
	printf(")\n");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", required_argument, NULL, 'C' },
		{ "print-defaults", no_argument, NULL, 'P' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const struct tp_dataplane *dp;
	const char *path = NULL;
	char *abs_path = NULL;
	struct tp_config cfg;
	int c, status;

	while ((c = getopt_long(argc, argv, "c:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 'C':
			if (!load(&cfg, optarg))
				return EXIT_FAILURE;
			printf("%s: OK\n", optarg);
			tp_config_free(&cfg);
			return EXIT_SUCCESS;
		case 'P':
			fputs(tp_default_config, stdout);
			return EXIT_SUCCESS;
		case 'V':
			version();
			return EXIT_SUCCESS;
		case 'h':
			usage(stdout);
			return EXIT_SUCCESS;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (!(dp = load(&cfg, path)))
		return EXIT_FAILURE;
	/* A reload reads the same path whatever the working directory is by then: made
	 * absolute, its symbolic links left as they are (a reload follows the link to wherever it
	 * points by then, as a configuration swapped by a link, or mounted by Kubernetes, wants).
	 */
	if (path && !(abs_path = absolute(path))) {
		fprintf(stderr, "turnpike: %s: %s\n", path, strerror(errno));
		tp_config_free(&cfg);
		return EXIT_FAILURE;
	}
	if (abs_path)
		path = abs_path;
	tp_log_level = cfg.log_level;
	TP_INFO("turnpike %s starting (%s, dataplane %s)", TP_VERSION,
		path ? path : "built-in configuration", dp->name);
	status = tp_loop_run(&cfg, path, dp);
	tp_config_free(&cfg);
	free(abs_path);
	return status;
}
