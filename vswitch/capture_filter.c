/*
 * A capture's filter (capture.h): the classic BPF program a client
 * compiled with libpcap (pcap_compile() for DLT_EN10MB), checked here
 * before anything runs it, converted to eBPF by DPDK (rte_bpf_convert(),
 * which takes libpcap's struct bpf_program) and loaded (rte_bpf_load(),
 * which verifies the eBPF again; native code from the JIT when DPDK has
 * one for this CPU). The program's argument is the frame's mbuf: loads
 * beyond the frame end the program with 0 (no match), as in the kernel.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_bpf.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <pcap/bpf.h>

#include "capture.h"

/* Classic BPF (bpf(4), libpcap's pcap/bpf.h): instruction classes. */
#define CBPF_CLASS(c)	((c) & 0x07)
#define CBPF_LD		0x00
#define CBPF_LDX	0x01
#define CBPF_ST		0x02
#define CBPF_STX	0x03
#define CBPF_ALU	0x04
#define CBPF_JMP	0x05
#define CBPF_RET	0x06
#define CBPF_MISC	0x07
#define CBPF_MEMWORDS	16

_Static_assert(sizeof(struct capture_insn) == sizeof(struct bpf_insn),
	       "capture_insn is libpcap's struct bpf_insn");

/* Every opcode a classic BPF interpreter knows (bpf_filter.c's switch). */
static bool capture_code_known(uint16_t code)
{
	static const uint16_t known[] = {
		/* ld: imm, abs w/h/b, ind w/h/b, mem, len */
		0x00, 0x20, 0x28, 0x30, 0x40, 0x48, 0x50, 0x60, 0x80,
		/* ldx: imm, mem, len, msh */
		0x01, 0x61, 0x81, 0xb1,
		0x02, 0x03,				/* st, stx */
		/* jmp: ja, jeq, jgt, jge, jset (k and x) */
		0x05, 0x15, 0x1d, 0x25, 0x2d, 0x35, 0x3d, 0x45, 0x4d,
		0x06, 0x0e, 0x16,			/* ret k, x, a */
		0x07, 0x87,				/* tax, txa */
		0x84,					/* neg */
	};

	if (CBPF_CLASS(code) == CBPF_ALU && code != 0x84)
		/* add sub mul div or and lsh rsh (neg) mod xor, k or x */
		return (code & ~0xf8u) == CBPF_ALU && (code & 0xf0) <= 0xa0 &&
		       (code & 0xf0) != 0x80;
	for (size_t i = 0; i < ARRAY_SIZE(known); i++)
		if (known[i] == code)
			return true;
	return false;
}

/* One instruction at pc of n: 0 or -EINVAL with why. */
static int capture_insn_check(const struct capture_insn *in, unsigned pc,
			      unsigned n, char *why, size_t len)
{
	unsigned left = n - pc - 1;	/* instructions after this one */

	if (!capture_code_known(in->code))
		goto bad;
	switch (CBPF_CLASS(in->code)) {
	case CBPF_JMP:
		if (in->code == 0x05 ? in->k >= left :
		    in->jt >= left || in->jf >= left) {
			snprintf(why, len, "instruction %u jumps out of the "
				 "program", pc);
			return -EINVAL;
		}
		break;
	case CBPF_ST:
	case CBPF_STX:
	case CBPF_LD:
	case CBPF_LDX:
		if ((in->code & 0xe0) == 0x60 || CBPF_CLASS(in->code) == CBPF_ST ||
		    CBPF_CLASS(in->code) == CBPF_STX) {
			if (in->k >= CBPF_MEMWORDS) {
				snprintf(why, len, "instruction %u uses "
					 "scratch word %u", pc, in->k);
				return -EINVAL;
			}
		}
		break;
	case CBPF_ALU:
		/* div and mod by a constant zero */
		if (((in->code & 0xf8) == 0x30 || (in->code & 0xf8) == 0x90) &&
		    in->k == 0) {
			snprintf(why, len, "instruction %u divides by zero", pc);
			return -EINVAL;
		}
		break;
	}
	return 0;
bad:
	snprintf(why, len, "instruction %u has unknown opcode 0x%x", pc,
		 in->code);
	return -EINVAL;
}

int capture_filter_check(const struct capture_insn *ins, unsigned n,
			 char *why, size_t len)
{
	int rc;

	if (n == 0 || n > CAPTURE_FILTER_MAX) {
		snprintf(why, len, "a filter has 1 to %u instructions, not %u",
			 CAPTURE_FILTER_MAX, n);
		return -EINVAL;
	}
	for (unsigned pc = 0; pc < n; pc++) {
		rc = capture_insn_check(&ins[pc], pc, n, why, len);
		if (rc < 0)
			return rc;
	}
	if (CBPF_CLASS(ins[n - 1].code) != CBPF_RET) {
		snprintf(why, len, "the last instruction is not a return");
		return -EINVAL;
	}
	return 0;
}

/* rte_bpf_convert() and rte_bpf_load(): 0 or -errno with why. */
static int capture_filter_convert(const struct capture_insn *ins,
				  unsigned n, struct capture_filter *f,
				  char *why, size_t len)
{
	struct bpf_insn *copy = calloc(n, sizeof(*copy));
	struct bpf_program prog = { .bf_len = n, .bf_insns = copy };
	struct rte_bpf_prm *prm;
	struct rte_bpf_jit jit = { NULL, 0 };
	int rc = -ENOMEM;

	if (!copy)
		goto fail;
	for (unsigned i = 0; i < n; i++)
		copy[i] = (struct bpf_insn){ ins[i].code, ins[i].jt,
					     ins[i].jf, ins[i].k };
	/* their refusals are the program's fault: EINVAL, their errno in
	 * the text */
	rc = -EINVAL;
	prm = rte_bpf_convert(&prog);
	if (!prm) {
		snprintf(why, len, "DPDK's converter refused it "
			 "(rte_bpf_convert: %s)", rte_strerror(rte_errno));
		goto fail;
	}
	f->bpf = rte_bpf_load(prm);
	rte_free(prm);
	if (!f->bpf) {
		snprintf(why, len, "DPDK's verifier refused it "
			 "(rte_bpf_load: %s)", rte_strerror(rte_errno));
		goto fail;
	}
	if (rte_bpf_get_jit(f->bpf, &jit) == 0)
		f->jit = jit.func;
	rc = 0;
fail:
	free(copy);
	return rc;
}

int capture_filter_load(const struct capture_insn *ins, unsigned n,
			struct capture_filter *f, char *why, size_t len)
{
	int rc = capture_filter_check(ins, n, why, len);

	*f = (struct capture_filter){ NULL, NULL };
	return rc < 0 ? rc : capture_filter_convert(ins, n, f, why, len);
}

void capture_filter_free(struct capture_filter *f)
{
	if (f->bpf)
		rte_bpf_destroy(f->bpf);
	*f = (struct capture_filter){ NULL, NULL };
}

bool capture_filter_match(const struct capture_filter *f, struct rte_mbuf *m)
{
	if (!f->bpf)
		return true;
	return (f->jit ? f->jit(m) : rte_bpf_exec(f->bpf, m)) != 0;
}
