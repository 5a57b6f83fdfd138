/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the admin socket's request parser (loop/admin.h), on any bytes a local
 * client may send. A request is accepted whole or refused with a reason; an accepted one is a
 * known command, a kick names whom, a client filter is an address, and the user fits.
 */
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tp_admin_request req;
	char *line = malloc(size + 1), err[256];

	if (!line)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	memset(err, 'x', sizeof(err));
	if (tp_admin_parse(line, &req, err, sizeof(err)) < 0) {
		check(memchr(err, '\0', sizeof(err)) != NULL && err[0] != '\0');
	} else {
		check(req.command <= TP_ADMIN_DRAIN);
		check(req.command != TP_ADMIN_KICK || req.has_user || req.has_client);
		check(!req.has_client || req.client.family == TP_FAM_V4 ||
		      req.client.family == TP_FAM_V6);
		check(!req.has_user || strlen(req.user) <= TP_USERNAME_MAX);
	}
	free(line);
	return 0;
}
