/* seccomp.h - the system call filter of a container.
 *
 * The filter is compiled to BPF in the parent, before the container's
 * process exists (errors in a profile are reported before anything
 * starts); the child only loads the compiled program, as the very last
 * step before execve(), with nothing left to allocate or parse. */
#ifndef RT_SECCOMP_H
#define RT_SECCOMP_H

#include <stddef.h>
#include <stdint.h>

#include "../lib/err.h"

struct sock_filter;

struct seccomp_prog {
    struct sock_filter *insns;
    unsigned short len;
};

/* Docker's default profile, in effect: EPERM for everything not allowed;
 * about 360 system calls allowed; namespaces, mounts, keyrings, modules,
 * bpf, perf, io_uring and sockets of AF_ALG and AF_VSOCK refused; clone3
 * answering ENOSYS so that libc falls back to a clone whose flags can be
 * checked. caps is the container's capability set (bit n = capability n):
 * as in Docker, CAP_SYS_ADMIN, CAP_SYS_PTRACE, ... open the calls they
 * govern. Covers x86_64 and its x86 and x32 ABIs. */
int seccomp_compile_default(uint64_t caps, struct seccomp_prog *out, struct rt_err *err);

/* A profile in Docker's JSON format (defaultAction, archMap/architectures,
 * syscalls with names, action, errnoRet, args, includes/excludes). */
int seccomp_compile_file(const char *path, uint64_t caps, struct seccomp_prog *out, struct rt_err *err);

/* Either of the above (profile NULL: the default), through a cache of
 * compiled programs in cache_dir (NULL: no cache), keyed by a hash of
 * everything the program depends on. */
int seccomp_compile(const char *profile, uint64_t caps, const char *cache_dir, struct seccomp_prog *out,
                    struct rt_err *err);

void seccomp_prog_free(struct seccomp_prog *p);

/* In the container's process, just before execve(): no_new_privs must be
 * set already. Async-signal-safe: one system call. */
int seccomp_load_prog(const struct seccomp_prog *p);

#endif
