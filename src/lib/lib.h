/*
 * lib — libhsys's internal types, shared by its files.
 */
#ifndef HSYS_LIB_LIB_H
#define HSYS_LIB_LIB_H

#include <stddef.h>
#include <stdint.h>

#include "proto/proto.h"

struct hsys_channel {
	int	fd;
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
};

struct hsys_queue {
	struct hsys	*h;
	uint32_t	 id;
};

#endif
