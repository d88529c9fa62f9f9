/*
 * control — the payloads that do not carry a request (docs/protocol.md):
 * the session's HELLO, WELCOME and CHANNEL, the queue and prefix
 * operations and OK's queue id, GOAWAY, STATE and the hand-over between
 * two hsysd. Named offsets and an encoder and a decoder for each; ERROR is
 * in proto.h (both kinds of channel carry it), the data channel's payloads
 * in exchange.h. Pure: no I/O, no allocation.
 *
 * Encoders write the whole payload (reserved bytes zeroed) and return its
 * length, or 0 when it does not fit in `size`. Decoders return -1 when the
 * payload is shorter than its type needs or a string they hand out lies
 * outside it; strings point into the frame, not NUL-terminated.
 */
#ifndef HSYS_PROTO_CONTROL_H
#define HSYS_PROTO_CONTROL_H

#include <stddef.h>
#include <stdint.h>

#include "proto/proto.h"

#define PROTO_KEY_SIZE		16	/* WELCOME's secret for CHANNEL */

/* --- HELLO (app -> daemon) -------------------------------------------- */

#define PROTO_HELLO_MAGIC	0	/* u32 PROTO_MAGIC */
#define PROTO_HELLO_MIN_VERSION	4	/* u16 */
#define PROTO_HELLO_MAX_VERSION	6	/* u16 */
#define PROTO_HELLO_FLAGS	8	/* u32 PROTO_HELLO_F_* */
#define PROTO_HELLO_NAME	16	/* span: the application's name */
#define PROTO_HELLO_FIXED	24	/* where the bytes area starts */
#define PROTO_HELLO_NAME_MAX	63	/* printable ASCII */

struct proto_hello {
	uint32_t		 magic;
	uint16_t		 min_version, max_version;
	uint32_t		 flags;
	const unsigned char	*name;
	uint32_t		 name_len;
};

size_t	proto_hello_put(unsigned char *, size_t, const struct proto_hello *);
int	proto_hello_get(const struct proto_frame *, struct proto_hello *);

/* --- WELCOME (daemon -> app) ------------------------------------------ */

#define PROTO_WELCOME_VERSION	0	/* u16 */
#define PROTO_WELCOME_WORKERS	2	/* u16: data channels to open */
#define PROTO_WELCOME_MAX_FRAME	4	/* u32 */
#define PROTO_WELCOME_WINDOW	8	/* u32 */
#define PROTO_WELCOME_MAX_WAITING 12	/* u32 */
#define PROTO_WELCOME_SESSION	16	/* u64 */
#define PROTO_WELCOME_KEY	24	/* PROTO_KEY_SIZE bytes */
#define PROTO_WELCOME_GENERATION 40	/* u64 */
#define PROTO_WELCOME_FEATURES	48	/* u32 PROTO_FEATURE_* */
#define PROTO_WELCOME_SIZE	56
#define PROTO_WELCOME_V1_SIZE	48	/* an older daemon's: no features */

struct proto_welcome {
	uint16_t		 version, workers;
	uint32_t		 max_frame, window, max_waiting;
	uint64_t		 session;
	unsigned char		 key[PROTO_KEY_SIZE];
	uint64_t		 generation;
	uint32_t		 features;	/* 0 from an older daemon */
};

size_t	proto_welcome_put(unsigned char *, size_t,
	    const struct proto_welcome *);
int	proto_welcome_get(const struct proto_frame *, struct proto_welcome *);

/* --- CHANNEL (app -> daemon, a data channel's first frame) ------------ */

#define PROTO_CHANNEL_SESSION	0	/* u64 */
#define PROTO_CHANNEL_KEY	8	/* PROTO_KEY_SIZE bytes */
#define PROTO_CHANNEL_INDEX	24	/* u16 */
#define PROTO_CHANNEL_SIZE	32

struct proto_channel {
	uint64_t		 session;
	unsigned char		 key[PROTO_KEY_SIZE];
	uint16_t		 index;
};

size_t	proto_channel_put(unsigned char *, size_t,
	    const struct proto_channel *);
int	proto_channel_get(const struct proto_frame *, struct proto_channel *);

/* --- queue and prefix operations (app -> daemon, control channel) ----- */

/* QUEUE_CREATE: u32 flags, u32 max_waiting, span name. */
#define PROTO_QUEUE_CREATE_FIXED 16
#define PROTO_QUEUE_F_NAMED	0x1
#define PROTO_QUEUE_F_OPEN	0x2
/* QUEUE_ATTACH: span name ("name" or "owner/name"). */
#define PROTO_QUEUE_ATTACH_FIXED 8
/* PREFIX_ADD, PREFIX_REMOVE: u32 queue_id, u32 reserved, span prefix. */
#define PROTO_PREFIX_FIXED	16
/* CACHE_FLUSH: u32 queue_id, u32 flags, span prefix (empty: every
 * response of the queue); the layout of PREFIX_ADD. */
#define PROTO_CACHE_FLUSH_F_RECURSIVE 0x1
/* QUEUE_CLOSE: u32 queue_id. */
#define PROTO_QUEUE_CLOSE_SIZE	4
/* QUEUE_SET: u32 queue_id, u32 property, u32 value, u32 reserved. */
#define PROTO_QUEUE_SET_SIZE	16
/* OK to QUEUE_CREATE and QUEUE_ATTACH: u32 queue_id. */
#define PROTO_OK_QUEUE_SIZE	4

/* One struct for the seven operations; each uses the fields its layout
 * names (name: the queue's name, or PREFIX_*'s prefix). */
struct proto_queue_op {
	uint32_t		 queue_id;
	uint32_t		 flags, max_waiting;	/* QUEUE_CREATE; flags:
							 * CACHE_FLUSH's too */
	uint32_t		 property, value;	/* QUEUE_SET */
	const unsigned char	*name;
	uint32_t		 name_len;
};

/* The payload of operation `type`; 0 also for a type not an operation. */
size_t	proto_queue_op_put(unsigned char *, size_t, uint16_t type,
	    const struct proto_queue_op *);
/* By f->type; -1 also for a type not an operation. */
int	proto_queue_op_get(const struct proto_frame *, struct proto_queue_op *);

size_t	proto_ok_queue_put(unsigned char *, size_t, uint32_t queue_id);
int	proto_ok_queue_get(const struct proto_frame *, uint32_t *queue_id);

/* --- GOAWAY (daemon -> app): u32 flags, u32 reserved ------------------ */

#define PROTO_GOAWAY_SIZE	8

size_t	proto_goaway_put(unsigned char *, size_t, uint32_t flags);
int	proto_goaway_get(const struct proto_frame *, uint32_t *flags);

/* --- STATE's question: empty, or u32 flags ---------------------------- */

#define PROTO_STATE_SIZE	4

size_t	proto_state_put(unsigned char *, size_t, uint32_t flags);
/* Never fails: an empty payload asks with flags 0. */
uint32_t proto_state_get(const struct proto_frame *);

/* --- hand-over (hsysd -> hsysd) --------------------------------------- */

/* HANDOVER: u32 magic, u32 flags. */
#define PROTO_HANDOVER_SIZE	8
/* HANDOVER_FD: u32 kind, u16 port, u16 flags. */
#define PROTO_HANDOVER_FD_SIZE	8
/* HANDOVER_PREFIX: u32 queue flags, u32 owner uid, span queue name,
 * span prefix. */
#define PROTO_HANDOVER_PREFIX_FIXED 24

struct proto_handover_fd {
	uint32_t		 kind;		/* PROTO_HANDOVER_LOCK, _LISTENER */
	uint16_t		 port;
	uint16_t		 flags;		/* PROTO_HANDOVER_F_TLS */
};

struct proto_handover_prefix {
	uint32_t		 queue_flags;	/* PROTO_QUEUE_F_* */
	uint32_t		 owner;
	const unsigned char	*name, *prefix;
	uint32_t		 name_len, prefix_len;
};

size_t	proto_handover_put(unsigned char *, size_t, uint32_t magic,
	    uint32_t flags);
int	proto_handover_get(const struct proto_frame *, uint32_t *magic,
	    uint32_t *flags);
size_t	proto_handover_fd_put(unsigned char *, size_t,
	    const struct proto_handover_fd *);
int	proto_handover_fd_get(const struct proto_frame *,
	    struct proto_handover_fd *);
size_t	proto_handover_prefix_put(unsigned char *, size_t,
	    const struct proto_handover_prefix *);
int	proto_handover_prefix_get(const struct proto_frame *,
	    struct proto_handover_prefix *);

#endif
