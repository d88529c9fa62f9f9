/*
 * shared — objects every worker holds a reference to. See shared.h.
 */
#include <stdlib.h>

#include "common/util.h"
#include "daemon/hsysd.h"
#include "daemon/mailbox.h"
#include "daemon/shared.h"
#include "daemon/worker.h"

struct swap_mail {
	struct mail	 mail;
	struct worker	*w;
	struct shared	*s;
	struct shared	*(*swap)(struct worker *, struct shared *);
};

void
shared_init(struct shared *s, int refs, void (*free_fn)(struct shared *))
{
	atomic_init(&s->refs, refs);
	s->free = free_fn;
}

void
shared_release(struct shared *s)
{
	if (s != NULL && atomic_fetch_sub(&s->refs, 1) == 1)
		s->free(s);
}

static void
swap_fn(struct mail *m)
{
	struct swap_mail *sm = container_of(m, struct swap_mail, mail);

	shared_release(sm->swap(sm->w, sm->s));
	free(sm);
}

void
shared_post(struct hsysd *d, struct shared *s,
    struct shared *(*swap)(struct worker *, struct shared *))
{
	struct swap_mail *sm;
	int w;

	atomic_store(&s->refs, d->workers);
	for (w = 0; w < d->workers; w++) {
		if ((sm = calloc(1, sizeof(*sm))) == NULL) {
			shared_release(s);
			continue;
		}
		sm->mail.fn = swap_fn;
		sm->w = &d->worker[w];
		sm->s = s;
		sm->swap = swap;
		mailbox_post(&d->worker[w].mailbox, &sm->mail);
	}
}
