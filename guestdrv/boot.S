/*
 * boot.S: the PVH entry (Xen PVH ABI, xen/include/public/arch-x86/hvm/
 * start_info.h and elfnote.h), the switch to long mode, the AP trampoline,
 * exception and interrupt entry stubs, and the drop to ring 3.
 *
 * Entered in 32-bit protected mode, paging off, EBX = hvm_start_info.
 * We identity-map the first 4 GiB with 2 MiB pages (U/S set: ring 3 uses
 * everything; 3-4 GiB uncached for MMIO), enable PAE, EFER.LME and paging,
 * load our GDT and call kmain(start_info) on the boot stack.
 */
#include "xvm/pvh.h"

#define MSR_EFER			0xc0000080
#define EFER_LME			0x100
#define CR0_PE				0x1
#define CR0_PG				0x80000000
#define CR4_PAE				0x20
#define CR4_TSD				0x4
#define PTE_P				0x1
#define PTE_RW				0x2
#define PTE_US				0x4
#define PTE_PWT				0x8
#define PTE_PCD				0x10
#define PTE_PS				0x80
#define AP_TRAMP_ADDR			0x8000
#define AP_STAGE_OFF			0xf00	/* in the trampoline page */
#define AP_STACK_SIZE			4096
#define MAX_APS				15
#define BOOT_STACK_SIZE			16384

/* Xen PVH note: descriptor is the 32-bit physical entry (as a .quad, the
 * way Linux's 64-bit vmlinux writes it; the high half is zero). */
	.section .note.Xen, "a", @note
	.balign 4
	.long 4
	.long 8
	.long XEN_ELFNOTE_PHYS32_ENTRY
	.asciz "Xen"
	.balign 4
	.quad pvh_start32

/* PAE (TSD clear so ring 3 may rdtsc), CR3, EFER.LME, paging, our GDT.
 * A macro, not a function: APs arrive here without a stack. Clobbers
 * eax, ecx, edx. */
	.macro ENABLE_LONG_MODE
	movl %cr4, %eax
	orl $CR4_PAE, %eax
	andl $~CR4_TSD, %eax
	movl %eax, %cr4
	movl $pml4, %eax
	movl %eax, %cr3
	movl $MSR_EFER, %ecx
	rdmsr
	orl $EFER_LME, %eax
	wrmsr
	movl %cr0, %eax
	orl $(CR0_PE | CR0_PG), %eax
	movl %eax, %cr0
	lgdt gdt_desc
	.endm

	.section .text.boot, "ax"
	.code32
	.globl pvh_start32
pvh_start32:
	cli
	cld
	movl %ebx, %esi			/* keep start_info across setup */
	movl $boot_stack + BOOT_STACK_SIZE, %esp

	/* Clear .bss (page tables, IDT, driver state live there). */
	movl $__bss_start, %edi
	movl $__bss_end, %ecx
	subl %edi, %ecx
	shrl $2, %ecx
	xorl %eax, %eax
	rep stosl

	/* PML4[0] -> PDPT; PDPT[0..3] -> PD 0..3; PDs map 4 GiB in 2 MiB pages. */
	movl $pdpt + (PTE_P | PTE_RW | PTE_US), pml4
	movl $pd + (PTE_P | PTE_RW | PTE_US), pdpt
	movl $pd + 0x1000 + (PTE_P | PTE_RW | PTE_US), pdpt + 8
	movl $pd + 0x2000 + (PTE_P | PTE_RW | PTE_US), pdpt + 16
	movl $pd + 0x3000 + (PTE_P | PTE_RW | PTE_US), pdpt + 24
	xorl %ecx, %ecx
1:	movl %ecx, %eax
	shll $21, %eax
	orl $(PTE_P | PTE_RW | PTE_US | PTE_PS), %eax
	cmpl $1536, %ecx		/* 3 GiB and up: MMIO, uncached */
	jb 2f
	orl $(PTE_PCD | PTE_PWT), %eax
2:	movl %eax, pd(,%ecx,8)
	incl %ecx
	cmpl $2048, %ecx
	jb 1b

	ENABLE_LONG_MODE
	ljmp $0x10, $start64

	.code64
start64:
	movw $0x18, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	xorl %eax, %eax
	movw %ax, %fs
	movw %ax, %gs
	movq $boot_stack + BOOT_STACK_SIZE, %rsp
	movl %esi, %edi
	call kmain
3:	cli
	hlt
	jmp 3b

/* ---- application processors ---- */

/* Real-mode trampoline, copied to AP_TRAMP_ADDR (SIPI vector 0x08). */
	.code16
	.globl ap_tramp_start, ap_tramp_end
ap_tramp_start:
	cli
	cld
	movw %cs, %ax
	movw %ax, %ds
	movl $1, AP_STAGE_OFF		/* progress marker for smp.c */
	lgdtl ap_tramp_gdt_desc - ap_tramp_start
	movl %cr0, %eax
	orl $CR0_PE, %eax
	movl %eax, %cr0
	ljmpl $0x08, $ap_start32
	.balign 4
ap_tramp_gdt_desc:
	.word gdt_end - gdt - 1
	.long gdt
ap_tramp_end:

	.code32
ap_start32:
	movw $0x18, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movl $2, AP_TRAMP_ADDR + AP_STAGE_OFF

	ENABLE_LONG_MODE			/* no stack yet */
	ljmp $0x10, $ap_start64

	.code64
ap_start64:
	movw $0x18, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movl $3, AP_TRAMP_ADDR + AP_STAGE_OFF
	movl $1, %eax
	lock xaddl %eax, ap_next_slot
	cmpl $MAX_APS, %eax
	jae 5f				/* more APs than stacks: park stackless */
	incl %eax
	shlq $12, %rax
	movq $ap_stacks, %rsp
	addq %rax, %rsp
	call ap_main
5:	cli
	hlt
	jmp 5b

/* ---- exceptions, interrupts and ring-3 requests ---- */

	.text
	.macro ISR_NOERR n
isr\n:
	pushq $0
	pushq $\n
	jmp isr_common
	.endm
	.macro ISR_ERR n
isr\n:
	pushq $\n
	jmp isr_common
	.endm

	ISR_NOERR 0
	ISR_NOERR 1
	ISR_NOERR 2
	ISR_NOERR 3
	ISR_NOERR 4
	ISR_NOERR 5
	ISR_NOERR 6
	ISR_NOERR 7
	ISR_ERR 8
	ISR_NOERR 9
	ISR_ERR 10
	ISR_ERR 11
	ISR_ERR 12
	ISR_ERR 13
	ISR_ERR 14
	ISR_NOERR 15
	ISR_NOERR 16
	ISR_ERR 17
	ISR_NOERR 18
	ISR_NOERR 19
	ISR_NOERR 20
	ISR_ERR 21
	ISR_NOERR 22
	ISR_NOERR 23
	ISR_NOERR 24
	ISR_NOERR 25
	ISR_NOERR 26
	ISR_NOERR 27
	ISR_NOERR 28
	ISR_ERR 29
	ISR_ERR 30
	ISR_NOERR 31

/* Vectors 32-255 (interrupts): one 16-byte
 * stub each at irq_stubs + (vector - 32) * 16. */
	.balign 16
	.globl irq_stubs
irq_stubs:
	.set vec, 32
	.rept 224
	.balign 16
	pushq $0
	pushq $vec
	jmp isr_common
	.set vec, vec + 1
	.endr

/* Frame layout: struct trap_frame in minios.h. */
isr_common:
	pushq %r15
	pushq %r14
	pushq %r13
	pushq %r12
	pushq %r11
	pushq %r10
	pushq %r9
	pushq %r8
	pushq %rbp
	pushq %rdi
	pushq %rsi
	pushq %rdx
	pushq %rcx
	pushq %rbx
	pushq %rax
	cld
	movq %rsp, %rdi
	call trap_dispatch
	popq %rax
	popq %rbx
	popq %rcx
	popq %rdx
	popq %rsi
	popq %rdi
	popq %rbp
	popq %r8
	popq %r9
	popq %r10
	popq %r11
	popq %r12
	popq %r13
	popq %r14
	popq %r15
	addq $16, %rsp
	iretq

	.section .rodata
	.balign 8
	.globl isr_table
isr_table:
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.quad isr\n
	.endr

/* enter_user(fn, stack_top): iretq to ring 3, IOPL 3, IF 0. */
	.text
	.globl enter_user
enter_user:
	movw $0x23, %ax
	movw %ax, %ds
	movw %ax, %es
	pushq $0x23
	pushq %rsi
	pushq $0x3002			/* IOPL=3, IF=0, reserved bit 1 */
	pushq $0x2b
	pushq %rdi
	iretq

/* sys_halt(): ask ring 0 to stop this vCPU for good. */
	.globl sys_halt
sys_halt:
	movl $1, %eax
	ud2
	.byte 0x78, 0x76		/* sys_request magic, minios.h */
6:	pause
	jmp 6b

/* ---- data ---- */
	.data
	.balign 16
	.globl gdt, gdt_tss
gdt:
	.quad 0
	.quad 0x00cf9a000000ffff	/* 0x08 kernel code, 32-bit */
	.quad 0x00af9a000000ffff	/* 0x10 kernel code, 64-bit */
	.quad 0x00cf92000000ffff	/* 0x18 kernel data */
	.quad 0x00cff2000000ffff	/* 0x20 user data, DPL 3 */
	.quad 0x00affa000000ffff	/* 0x28 user code, 64-bit, DPL 3 */
gdt_tss:
	.quad 0, 0			/* 0x30 TSS, filled by cpu_init() */
gdt_end:
	.balign 8
	.globl gdt_desc
gdt_desc:
	.word gdt_end - gdt - 1
	.quad gdt

	.globl ap_next_slot
	.balign 4
ap_next_slot:
	.long 0

	.section .bss
	.balign 4096
	.globl pml4
pml4:	.skip 4096
pdpt:	.skip 4096
pd:	.skip 4 * 4096

	.section .noinit, "aw", @nobits
	.balign 4096
	.globl boot_stack, ap_stacks
boot_stack:
	.skip BOOT_STACK_SIZE
ap_stacks:
	.skip (MAX_APS + 1) * AP_STACK_SIZE

	.section .note.GNU-stack, "", @progbits
