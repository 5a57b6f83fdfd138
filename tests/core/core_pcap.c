/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Writes the frames dataplane/core produces for the relayed and hairpinned golden vectors to
 * a pcap file, so tools that know nothing of turnpike (tshark) can judge them.
 *
 * usage: core_pcap OUT.pcap   prints the number of frames written
 */
#include <stdio.h>
#include <string.h>

#include "vector_runner.h"

int
main(int argc, char **argv)
{
	struct pcap_hdr {
		uint32_t magic;
		uint16_t major, minor;
		int32_t zone;
		uint32_t sigfigs, snaplen, linktype;
	} hdr = { 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1 };
	static struct tp_vec_result r;
	unsigned written = 0;
	FILE *f;

	if (argc != 2 || !(f = fopen(argv[1], "wb"))) {
		fprintf(stderr, "usage: core_pcap OUT.pcap\n");
		return 2;
	}
	fwrite(&hdr, sizeof(hdr), 1, f);
	for (unsigned i = 0; i < tp_nvectors; i++) {
		const struct tp_vector *v = &tp_vectors[i];
		uint32_t rec[4] = { 1700000000u + i, 0, 0, 0 };

		if (strcmp(v->action, "relayed") != 0 && strcmp(v->action, "hairpinned") != 0)
			continue;
		tp_vec_run(v, &r);
		rec[2] = rec[3] = r.len;
		fwrite(rec, sizeof(rec), 1, f);
		fwrite(r.frame, 1, r.len, f);
		written++;
	}
	if (fclose(f) != 0) {
		perror(argv[1]);
		return 1;
	}
	printf("%u\n", written);
	return 0;
}
