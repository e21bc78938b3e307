/* SPDX-License-Identifier: MIT */
/*
 * vCPU 0 arrives at _start in long mode with rdi = start info, rsp on the
 * core's small boot stack and IF=0. We move to our own stack in .bss, clear
 * .bss, and call kmain(start_info). Secondary vCPUs arrive at ap_entry with
 * rsp = their stack top and rdi = their struct percpu.
 */
	.section .note.GNU-stack, "", @progbits

#define BOOT_STACK_SIZE 16384

	.section .text.entry, "ax", @progbits
	.globl _start
	.type _start, @function
_start:
	cli
	cld
	movq	%rdi, %r12		/* callee-saved: survives the clearing below */
	leaq	boot_stack_top(%rip), %rsp
	leaq	__bss_start(%rip), %rdi
	leaq	__bss_end(%rip), %rcx
	subq	%rdi, %rcx
	shrq	$3, %rcx		/* the linker script keeps .bss 8-byte sized */
	xorl	%eax, %eax
	rep stosq
	movq	%r12, %rdi
	xorl	%ebp, %ebp		/* ends the backtrace */
	call	kmain
1:	cli
	hlt
	jmp	1b
	.size _start, . - _start

	.text
	.globl ap_entry
	.type ap_entry, @function
ap_entry:
	cli
	cld
	andq	$-16, %rsp		/* the core takes rsp as given; align for the ABI */
	xorl	%ebp, %ebp
	call	ap_main
1:	cli
	hlt
	jmp	1b
	.size ap_entry, . - ap_entry

	.section .bss
	.p2align 12
boot_stack:
	.skip	BOOT_STACK_SIZE
boot_stack_top:
