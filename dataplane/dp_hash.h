/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The binding tables' hash: XXH3 of a key under its table's seed, in 32 bits, compiled in.
 * One definition for rte_hash, which hashes what the control thread adds (dp_tables.c), and
 * for the workers, which hash a burst's keys themselves and look them up with their hashes
 * (dp_worker.c): a lookup finds an entry only where both agree.
 *
 * XXH3: fast on 20-24 byte keys and safe on any alignment (the keys are 2-byte aligned;
 * rte_hash_crc reads them 8 bytes at a time). Seeded at random per table, as the control
 * thread's tables are, so that clients who choose their ports and channels cannot aim their
 * keys at one bucket.
 */
#ifndef TP_DP_HASH_H
#define TP_DP_HASH_H

#include <stdint.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

static inline uint32_t
dp_key_hash(const void *key, uint32_t len, uint32_t seed)
{
	return (uint32_t)XXH3_64bits_withSeed(key, len, seed);
}

#endif
