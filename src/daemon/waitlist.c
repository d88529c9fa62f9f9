/*
 * waitlist — requests waiting for a process of their queue. See
 * waitlist.h.
 */
#include <stdlib.h>

#include "common/util.h"
#include "daemon/waitlist.h"

static void	on_timer(struct loop *, struct loop_timer *);
static void	unlink_waiter(struct waiter *);

struct waitlist *
waitlist_new(struct loop *l)
{
	struct waitlist *wl;

	if ((wl = calloc(1, sizeof(*wl))) == NULL)
		return NULL;
	wl->loop = l;
	wl->timer.fn = on_timer;
	return wl;
}

void
waitlist_free(struct waitlist *wl)
{
	if (wl == NULL)
		return;
	while (wl->head != NULL)
		unlink_waiter(wl->head);
	/* Empty lists hold no timer: a stopped worker's loop may be gone. */
	if (wl->timer.slot != 0)
		loop_timer_cancel(wl->loop, &wl->timer);
	free(wl);
}

/* Arms the timer for the earliest deadline, or disarms it. */
static void
rearm(struct waitlist *wl)
{
	struct waiter *wt;
	uint64_t first = UINT64_MAX, now = loop_now(wl->loop);

	for (wt = wl->head; wt != NULL; wt = wt->next)
		if (wt->until < first)
			first = wt->until;
	if (first == UINT64_MAX)
		loop_timer_cancel(wl->loop, &wl->timer);
	else
		loop_timer_set(wl->loop, &wl->timer, first > now ?
		    first - now : 0);
}

void
waitlist_add(struct waitlist *wl, struct waiter *wt, uint64_t until)
{
	wt->wl = wl;
	wt->until = until;
	wt->next = NULL;
	wt->prev = wl->tail;
	if (wl->tail != NULL)
		wl->tail->next = wt;
	else
		wl->head = wt;
	wl->tail = wt;
	wl->n++;
	/* Deadlines mostly come in order: only an earlier one re-arms. */
	if (wl->timer.deadline == 0 || until < wl->timer.deadline)
		rearm(wl);
}

/* Unlinks without touching the timer: it may fire for nobody, then it
 * re-arms or stays off. */
static void
unlink_waiter(struct waiter *wt)
{
	struct waitlist *wl = wt->wl;

	if (wt->prev != NULL)
		wt->prev->next = wt->next;
	else
		wl->head = wt->next;
	if (wt->next != NULL)
		wt->next->prev = wt->prev;
	else
		wl->tail = wt->prev;
	wt->next = wt->prev = NULL;
	wt->wl = NULL;
	wl->n--;
}

void
waitlist_remove(struct waiter *wt)
{
	struct waitlist *wl = wt->wl;

	if (wl == NULL)
		return;
	unlink_waiter(wt);
	if (wl->n == 0)
		loop_timer_cancel(wl->loop, &wl->timer);
}

void
waitlist_end_all(struct waitlist *wl, enum wait_end how)
{
	struct waiter *mark = wl->tail, *wt;

	/* Up to the last waiter present now: one put back goes after it. */
	while (mark != NULL && (wt = wl->head) != NULL) {
		unlink_waiter(wt);
		wt->fn(wt, how);
		if (wt == mark)
			break;
	}
	rearm(wl);
}

static void
on_timer(struct loop *l, struct loop_timer *t)
{
	struct waitlist *wl = container_of(t, struct waitlist, timer);
	struct waiter *wt, *next, *mark = wl->tail;
	uint64_t now = loop_now(l);

	for (wt = wl->head; wt != NULL; wt = next) {
		next = wt->next;
		if (wt->until <= now) {
			unlink_waiter(wt);
			wt->fn(wt, WAIT_EXPIRED);
		}
		if (wt == mark)
			break;
	}
	rearm(wl);
}
