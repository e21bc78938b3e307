/* SPDX-License-Identifier: MIT */
/*
 * Interrupt entry stubs. Each stub makes the stack uniform (a zero error code
 * where the CPU pushes none, then the vector), isr_common saves every GPR so
 * trap_dispatch() sees and may edit a struct trap_frame, then iretq.
 */
	.section .note.GNU-stack, "", @progbits
	.text

/* Vectors for which the CPU pushes an error code. */
.macro ISR vec
	.p2align 4
isr_\vec:
	.if (\vec == 8) || ((\vec >= 10) && (\vec <= 14)) || (\vec == 17) || (\vec == 21) || (\vec == 29) || (\vec == 30)
	.else
	pushq	$0
	.endif
	pushq	$\vec
	jmp	isr_common
.endm

.irp vec, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	ISR \vec
.endr

/* Whatever vector the core names for upcalls, the stub reports it as "upcall". */
	.p2align 4
	.globl isr_upcall
isr_upcall:
	pushq	$0
	pushq	$0x100
	jmp	isr_common

/* Spurious APIC interrupts need no EOI and carry no work. */
	.p2align 4
	.globl isr_spurious
isr_spurious:
	iretq

	.p2align 4
isr_common:
	cld
	pushq	%rax
	pushq	%rbx
	pushq	%rcx
	pushq	%rdx
	pushq	%rsi
	pushq	%rdi
	pushq	%rbp
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	movq	%rsp, %rdi
	/* The CPU aligns before its push, so this is aligned already; keep it so anyway. */
	movq	%rsp, %rbx
	andq	$-16, %rsp
	call	trap_dispatch
	movq	%rbx, %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rbp
	popq	%rdi
	popq	%rsi
	popq	%rdx
	popq	%rcx
	popq	%rbx
	popq	%rax
	addq	$16, %rsp	/* vector and error code */
	iretq

	.section .rodata
	.p2align 3
	.globl isr_exception_stubs
isr_exception_stubs:
.irp vec, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.quad	isr_\vec
.endr
