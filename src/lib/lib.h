/*
 * lib — libhsys's internal types, shared by its files.
 */
#ifndef HSYS_LIB_LIB_H
#define HSYS_LIB_LIB_H

#include <stddef.h>
#include <stdint.h>

#include "proto/proto.h"

struct hsys_request;

#define LIB_LIVE_BUCKETS	64	/* requests in flight, hashed by id */

/* A data channel and its receive buffer: frames are decoded in place and
 * every complete one is handled after each recv. */
struct hsys_channel {
	int		 fd;
	unsigned char	*rbuf;		/* allocated on first read */
	size_t		 rcap, rlen;
};

struct hsys {
	int			 ctl;		/* control channel */
	int			 epfd;		/* over the data channels */
	unsigned		 workers;
	uint32_t		 max_frame;
	uint32_t		 window;
	uint64_t		 session;
	unsigned char		 key[16];
	uint64_t		 last_op;
	struct hsys_channel	*chan;		/* [workers] */
	size_t			 rlen, rused;
	unsigned char		 rbuf[PROTO_HEADER_SIZE + 4096];
	char			 last_error[512];
	int			 broken;	/* <0: session unusable */
	struct hsys_request	*live[LIB_LIVE_BUCKETS]; /* by id */
	struct hsys_request	*ready, **ready_tail; /* not yet returned */
	struct hsys_request	*free;		/* reusable objects */
	unsigned char		*wbuf;		/* response heads */
	size_t			 wcap;
	uint32_t		 features;	/* WELCOME's PROTO_FEATURE_* */
};

struct hsys_queue {
	struct hsys	*h;
	uint32_t	 id;
};

/* request.c: frees every request object of a session (hsys_close). */
void	lib_requests_free(struct hsys *);

#endif
