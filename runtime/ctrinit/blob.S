/* blob.S - the static ctrinit binary (runtime/ctrinit/main.c, built by
 * the Makefile with musl) inside the runtime's own binary, read-only
 * data between rt_ctrinit_start and rt_ctrinit_end. CTRINIT_PATH is the
 * built file, given by the Makefile. Embedded, it needs no file on the
 * host that could be replaced or written, and reaches each container
 * through a sealed memfd (runtime/ctrinit_fd.c). */
    .section .rodata
    .global rt_ctrinit_start
    .global rt_ctrinit_end
    .balign 16
rt_ctrinit_start:
    .incbin CTRINIT_PATH
rt_ctrinit_end:
    .section .note.GNU-stack,"",@progbits
