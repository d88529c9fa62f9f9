/*
 * loop — epoll and a timer heap. See loop.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"
#include "daemon/loop.h"

#define LOOP_MAX_EVENTS	256

struct loop {
	int			  epfd;
	int			  stop;
	uint64_t		  now;
	uint64_t		  now_us;	/* the same reading, in us */
	struct loop_timer	**heap;
	size_t			  nheap, capheap;
	struct loop_defer	 *deferred, **deferred_tail;	/* FIFO */
	struct epoll_event	  events[LOOP_MAX_EVENTS];
};

static void	deferred_run(struct loop *);

/* Reads the clock into l->now (ms) and l->now_us. */
static uint64_t
clock_ms(struct loop *l)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	l->now_us = (uint64_t)ts.tv_sec * 1000000 +
	    (uint64_t)ts.tv_nsec / 1000;
	return l->now = l->now_us / 1000;
}

int
loop_new(struct loop **lp, struct err *e)
{
	struct loop *l;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return err_sys(e, "cannot create an event loop");
	if ((l->epfd = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		free(l);
		return err_sys(e, "epoll_create1");
	}
	clock_ms(l);
	*lp = l;
	return 0;
}

void
loop_free(struct loop *l)
{
	if (l == NULL)
		return;
	deferred_run(l);
	close(l->epfd);
	free(l->heap);
	free(l);
}

static uint32_t
epoll_bits(unsigned events)
{
	return (events & LOOP_READ ? EPOLLIN | EPOLLRDHUP : 0) |
	    (events & LOOP_WRITE ? EPOLLOUT : 0);
}

int
loop_io_add(struct loop *l, struct loop_io *io, unsigned events,
    struct err *e)
{
	struct epoll_event ev = { .events = epoll_bits(events), .data.ptr = io };

	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, io->fd, &ev) == -1)
		return err_sys(e, "epoll_ctl(ADD, %d)", io->fd);
	io->events = events;
	return 0;
}

int
loop_io_change(struct loop *l, struct loop_io *io, unsigned events)
{
	struct epoll_event ev = { .events = epoll_bits(events), .data.ptr = io };

	if (io->events == events)
		return 0;
	if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, io->fd, &ev) == -1)
		return -1;
	io->events = events;
	return 0;
}

void
loop_io_remove(struct loop *l, struct loop_io *io)
{
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, io->fd, NULL);
	io->events = LOOP_REMOVED;
}

/* --- the timer heap: a binary min-heap on `key`, slots are 1-based ---- */

static void
heap_place(struct loop *l, size_t i, struct loop_timer *t)
{
	l->heap[i] = t;
	t->slot = i + 1;
}

static void
heap_up(struct loop *l, size_t i)
{
	struct loop_timer *t = l->heap[i];
	size_t parent;

	while (i > 0) {
		parent = (i - 1) / 2;
		if (l->heap[parent]->key <= t->key)
			break;
		heap_place(l, i, l->heap[parent]);
		i = parent;
	}
	heap_place(l, i, t);
}

static void
heap_down(struct loop *l, size_t i)
{
	struct loop_timer *t = l->heap[i];
	size_t child;

	for (;;) {
		child = 2 * i + 1;
		if (child >= l->nheap)
			break;
		if (child + 1 < l->nheap &&
		    l->heap[child + 1]->key < l->heap[child]->key)
			child++;
		if (t->key <= l->heap[child]->key)
			break;
		heap_place(l, i, l->heap[child]);
		i = child;
	}
	heap_place(l, i, t);
}

static int
heap_push(struct loop *l, struct loop_timer *t)
{
	struct loop_timer **n;
	size_t cap;

	if (l->nheap == l->capheap) {
		cap = l->capheap ? l->capheap * 2 : 64;
		if ((n = realloc(l->heap, cap * sizeof(*n))) == NULL)
			return -1;
		l->heap = n;
		l->capheap = cap;
	}
	l->heap[l->nheap++] = t;
	heap_up(l, l->nheap - 1);
	return 0;
}

static void
heap_remove(struct loop *l, struct loop_timer *t)
{
	size_t i = t->slot - 1;
	struct loop_timer *last = l->heap[--l->nheap];

	t->slot = 0;
	if (i == l->nheap)
		return;
	heap_place(l, i, last);
	heap_down(l, i);
	heap_up(l, last->slot - 1);
}

void
loop_timer_set(struct loop *l, struct loop_timer *t, uint64_t ms)
{
	t->deadline = l->now + ms;
	if (t->deadline == 0)
		t->deadline = 1;
	if (t->slot != 0) {
		if (t->deadline >= t->key)
			return;		/* later: fixed up when it surfaces */
		t->key = t->deadline;
		heap_up(l, t->slot - 1);
		return;
	}
	t->key = t->deadline;
	if (heap_push(l, t) == -1) {
		/* Out of memory: fire at once rather than never. */
		t->deadline = 0;
		t->fn(l, t);
	}
}

void
loop_timer_cancel(struct loop *l, struct loop_timer *t)
{
	if (t->slot != 0)
		heap_remove(l, t);
	t->deadline = 0;
}

static void
timers_run(struct loop *l)
{
	struct loop_timer *t;

	while (l->nheap > 0 && l->heap[0]->key <= l->now) {
		t = l->heap[0];
		if (t->deadline > l->now) {
			/* Pushed later since it was inserted. */
			t->key = t->deadline;
			heap_down(l, 0);
			continue;
		}
		heap_remove(l, t);
		t->deadline = 0;
		t->fn(l, t);
	}
}

static int
timeout_ms(struct loop *l, int max_ms)
{
	uint64_t d;

	if (l->nheap == 0)
		return max_ms;
	d = l->heap[0]->key > l->now ? l->heap[0]->key - l->now : 0;
	if (max_ms >= 0 && d > (uint64_t)max_ms)
		return max_ms;
	return d > 60000 ? 60000 : (int)d;
}

/* In the order queued: what a deferred item queues runs after the items
 * already waiting (many connections' flushes first, then the one write
 * of the channel they all gave frames to). */
void
loop_defer(struct loop *l, struct loop_defer *d)
{
	if (d->queued)
		return;
	d->queued = 1;
	d->next = NULL;
	if (l->deferred == NULL)
		l->deferred_tail = &l->deferred;
	*l->deferred_tail = d;
	l->deferred_tail = &d->next;
}

static void
deferred_run(struct loop *l)
{
	struct loop_defer *d;

	while ((d = l->deferred) != NULL) {
		l->deferred = d->next;
		d->queued = 0;
		d->fn(d);
	}
}

uint64_t
loop_now(const struct loop *l)
{
	return l->now;
}

uint64_t
loop_now_us(const struct loop *l)
{
	return l->now_us;
}

uint64_t
loop_update_time(struct loop *l)
{
	return clock_ms(l);
}

int
loop_once(struct loop *l, int max_ms, struct err *e)
{
	struct loop_io *io;
	unsigned rev;
	uint32_t ev;
	int i, n;

	n = epoll_wait(l->epfd, l->events, LOOP_MAX_EVENTS,
	    timeout_ms(l, max_ms));
	if (n == -1 && errno != EINTR)
		return err_sys(e, "epoll_wait");
	clock_ms(l);
	for (i = 0; i < n; i++) {
		io = l->events[i].data.ptr;
		/* Removed by an earlier callback of this batch. */
		if (io->events & LOOP_REMOVED)
			continue;
		ev = l->events[i].events;
		rev = (ev & (EPOLLIN | EPOLLRDHUP) ? LOOP_READ : 0) |
		    (ev & EPOLLOUT ? LOOP_WRITE : 0) |
		    (ev & (EPOLLERR | EPOLLHUP) ? LOOP_ERROR : 0);
		io->fn(l, io, rev);
	}
	deferred_run(l);
	timers_run(l);
	deferred_run(l);
	return 0;
}

int
loop_run(struct loop *l, struct err *e)
{
	l->stop = 0;
	while (!l->stop)
		if (loop_once(l, -1, e) == -1)
			return -1;
	return 0;
}

void
loop_stop(struct loop *l)
{
	l->stop = 1;
}
