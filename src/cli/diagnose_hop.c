/*
 * diagnose_hop — a hop's verdict, as every hop of hsys diagnose sets it
 * (diagnose.h). Below diagnose.c and the hop files, which all call it.
 */
#include <stdarg.h>
#include <stdio.h>

#include "cli/diagnose.h"

void
dg_set(struct hop *h, enum dg_status st, const char *fix, const char *fmt, ...)
{
	va_list ap;

	h->st = st;
	va_start(ap, fmt);
	vsnprintf(h->what, sizeof(h->what), fmt, ap);
	va_end(ap);
	snprintf(h->fix, sizeof(h->fix), "%s", fix ? fix : "");
}
