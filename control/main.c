/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * turnpike: a TURN relay (RFC 8656 over UDP). main() reads the command line and the config,
 * then runs the control loop on the dataplane the config names. Nothing else happens here.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static int
load(struct tp_config *cfg, const char *path)
{
	char err[768];

	if (tp_config_defaults(cfg, err, sizeof(err)) < 0 ||
	    (path && tp_config_load(cfg, path, err, sizeof(err)) < 0)) {
		fprintf(stderr, "turnpike: %s\n", err);
		return -1;
	}
	return 0;
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
	struct tp_config cfg;
	int c, status;

	while ((c = getopt_long(argc, argv, "c:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 'C':
			if (load(&cfg, optarg) < 0)
				return EXIT_FAILURE;
			printf("%s: OK\n", optarg);
			tp_config_free(&cfg);
			return EXIT_SUCCESS;
		case 'P':
			fputs(tp_default_config, stdout);
			return EXIT_SUCCESS;
		case 'V':
			printf("turnpike %s\n", TP_VERSION);
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
	if (load(&cfg, path) < 0)
		return EXIT_FAILURE;
	tp_log_level = cfg.log_level;
	dp = cfg.mode == TP_MODE_XDP	? &tp_xdp_dataplane
	     : cfg.mode == TP_MODE_DPDK ? &tp_dpdk_dataplane
					: &tp_socket_dataplane;
	TP_INFO("turnpike %s starting (%s, dataplane %s)", TP_VERSION,
		path ? path : "built-in configuration", dp->name);
	status = tp_loop_run(&cfg, dp);
	tp_config_free(&cfg);
	return status;
}
