/*
 * seqtrack.c: loss accounting over sequence-numbered datagrams (udpseq,
 * pktgen payloads): counts what arrived, what was skipped (gaps: a lost
 * run of numbers, the measure of downtime at a fixed interval) and what
 * came late. Wraps at 2^32 with serial-number arithmetic (RFC 1982).
 */
#include "net.h"

#define SEQ_RESTART	100000	/* this far below expected: a new sender */

uint32_t seq_track_add(struct seq_track *t, uint32_t seq)
{
	uint32_t ahead = seq - t->next;

	t->got++;
	if (!t->started || (int32_t)ahead < -SEQ_RESTART) {
		t->started = true;
		t->next = seq + 1;
		return 0;
	}
	if ((int32_t)ahead < 0) {
		t->late++;
		return 0;
	}
	t->next = seq + 1;
	if (!ahead)
		return 0;
	t->gaps++;
	t->lost += ahead;
	t->max_gap = MAX(t->max_gap, (uint64_t)ahead);
	return ahead;
}
