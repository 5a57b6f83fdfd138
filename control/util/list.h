/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Intrusive doubly-linked list, in the style of the Linux kernel's list_head: an allocation
 * links its permissions and channels without extra allocations, and unlinking is O(1).
 */
#ifndef TP_LIST_H
#define TP_LIST_H

#include <stddef.h>

struct tp_list {
	struct tp_list *next, *prev;
};

#define tp_container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

static inline void
tp_list_init(struct tp_list *l)
{
	l->next = l->prev = l;
}

static inline int
tp_list_empty(const struct tp_list *l)
{
	return l->next == l;
}

static inline void
tp_list_add_tail(struct tp_list *head, struct tp_list *n)
{
	n->prev = head->prev;
	n->next = head;
	head->prev->next = n;
	head->prev = n;
}

static inline void
tp_list_del(struct tp_list *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->next = n->prev = n;
}

#define tp_list_for_each(pos, head) for (pos = (head)->next; pos != (head); pos = pos->next)

/* Safe against removal of the current entry. */
#define tp_list_for_each_safe(pos, tmp, head) \
	for (pos = (head)->next, tmp = pos->next; pos != (head); pos = tmp, tmp = pos->next)

#endif
