/* devices.c - the cgroup device program. See devices.h.
 *
 * The program is written as raw eBPF instructions (linux/bpf.h) and loaded
 * with bpf(2), as crun does: it is a dozen instructions per rule, and
 * libbpf would add a library to PID 1 for them. */
#include "devices.h"

#include <errno.h>
#include <stdbool.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../lib/util.h"
#include "container.h"

#define MAX_INSNS 4096

static const struct dev_rule defaults[] = {
    {'c', -1, -1, CTR_DEV_MKNOD},
    {'b', -1, -1, CTR_DEV_MKNOD},
    {'c', 1, 3, CTR_DEV_READ | CTR_DEV_WRITE | CTR_DEV_MKNOD},   /* null */
    {'c', 1, 5, CTR_DEV_READ | CTR_DEV_WRITE | CTR_DEV_MKNOD},   /* zero */
    {'c', 1, 7, CTR_DEV_READ | CTR_DEV_WRITE | CTR_DEV_MKNOD},   /* full */
    {'c', 1, 8, CTR_DEV_READ | CTR_DEV_WRITE | CTR_DEV_MKNOD},   /* random */
    {'c', 1, 9, CTR_DEV_READ | CTR_DEV_WRITE | CTR_DEV_MKNOD},   /* urandom */
    {'c', 5, 0, CTR_DEV_READ | CTR_DEV_WRITE | CTR_DEV_MKNOD},   /* tty */
    /* not 5:1: that is the host's console (its input, and output that
     * looks like the kernel's), and current runc leaves it out too */
    {'c', 5, 2, CTR_DEV_READ | CTR_DEV_WRITE | CTR_DEV_MKNOD},   /* ptmx */
    {'c', 136, -1, CTR_DEV_READ | CTR_DEV_WRITE | CTR_DEV_MKNOD}, /* pts */
};

struct prog {
    struct bpf_insn insn[MAX_INSNS];
    size_t n;
    bool full;
};

static void emit(struct prog *p, uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
    if (p->n == MAX_INSNS) {
        p->full = true;
        return;
    }
    p->insn[p->n++] = (struct bpf_insn){.code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm};
}

/* The kernel's access bits (BPF_DEVCG_ACC_*) for ours. */
static int32_t kernel_access(unsigned a)
{
    return (a & CTR_DEV_MKNOD ? BPF_DEVCG_ACC_MKNOD : 0) | (a & CTR_DEV_READ ? BPF_DEVCG_ACC_READ : 0) |
           (a & CTR_DEV_WRITE ? BPF_DEVCG_ACC_WRITE : 0);
}

/* r3 = type, r2 = the access asked for, r4 = major, r5 = minor. One block
 * per rule: each test that fails jumps past the block's end; a block that
 * falls through to its end allows. */
static void rule(struct prog *p, const struct dev_rule *r)
{
    int32_t all = BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE;
    int32_t acc = kernel_access(r->access);
    /* how many instructions the block has after each test */
    int16_t left = 2 + (r->minor >= 0) + (r->major >= 0) + (acc != all ? 3 : 0) + (r->type ? 1 : 0);
    if (r->type) {
        emit(p, BPF_JMP | BPF_JNE | BPF_K, 3, 0, --left, r->type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK);
    }
    if (acc != all) {
        /* allowed only if nothing outside acc is asked for */
        emit(p, BPF_ALU64 | BPF_MOV | BPF_X, 0, 2, 0, 0);
        left--;
        emit(p, BPF_ALU | BPF_AND | BPF_K, 0, 0, 0, ~acc & all);
        left--;
        emit(p, BPF_JMP | BPF_JNE | BPF_K, 0, 0, --left, 0);
    }
    if (r->major >= 0)
        emit(p, BPF_JMP | BPF_JNE | BPF_K, 4, 0, --left, (int32_t)r->major);
    if (r->minor >= 0)
        emit(p, BPF_JMP | BPF_JNE | BPF_K, 5, 0, --left, (int32_t)r->minor);
    emit(p, BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 1);
    emit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

static void build(struct prog *p, const struct dev_rule *extra, size_t nextra)
{
    /* struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }:
     * access_type is (access << 16) | type */
    emit(p, BPF_LDX | BPF_MEM | BPF_W, 2, 1, 0, 0);
    emit(p, BPF_ALU64 | BPF_MOV | BPF_X, 3, 2, 0, 0);
    emit(p, BPF_ALU | BPF_AND | BPF_K, 3, 0, 0, 0xffff);
    emit(p, BPF_ALU | BPF_RSH | BPF_K, 2, 0, 0, 16);
    emit(p, BPF_LDX | BPF_MEM | BPF_W, 4, 1, 4, 0);
    emit(p, BPF_LDX | BPF_MEM | BPF_W, 5, 1, 8, 0);
    for (size_t i = 0; i < ARRAY_SIZE(defaults); i++)
        rule(p, &defaults[i]);
    for (size_t i = 0; i < nextra; i++)
        rule(p, &extra[i]);
    /* nothing matched: refused (the caller sees EPERM) */
    emit(p, BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0);
    emit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

int dev_attach(int cgfd, const struct dev_rule *extra, size_t nextra, struct rt_err *err)
{
    struct prog p = {.n = 0};
    build(&p, extra, nextra);
    if (p.full)
        return rt_error(err, E2BIG, "too many devices for one device program");
    char log[4096];
    union bpf_attr load;
    memset(&load, 0, sizeof(load));
    load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    load.insns = (uint64_t)(uintptr_t)p.insn;
    load.insn_cnt = (uint32_t)p.n;
    load.license = (uint64_t)(uintptr_t) "GPL";
    int fd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &load, sizeof(load));
    if (fd < 0) {
        int e = errno;
        /* again with the verifier's log, to say why */
        log[0] = '\0';
        load.log_buf = (uint64_t)(uintptr_t)log;
        load.log_size = sizeof(log);
        load.log_level = 1;
        int fd2 = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &load, sizeof(load));
        if (fd2 >= 0)
            close(fd2);
        char *nl = strrchr(log, '\n');
        while (nl && nl > log && nl[1] == '\0') {
            *nl = '\0';
            nl = strrchr(log, '\n');
        }
        return rt_error(err, e, "loading the cgroup device program: %s%s%s", strerror(e), log[0] ? ": " : "",
                        nl ? nl + 1 : log);
    }
    union bpf_attr att;
    memset(&att, 0, sizeof(att));
    att.target_fd = (uint32_t)cgfd;
    att.attach_bpf_fd = (uint32_t)fd;
    att.attach_type = BPF_CGROUP_DEVICE;
    /* No BPF_F_ALLOW_OVERRIDE or _MULTI: nothing below the container's
     * cgroup can attach a program of its own. */
    att.attach_flags = 0;
    int r = (int)syscall(SYS_bpf, BPF_PROG_ATTACH, &att, sizeof(att));
    int e = errno;
    close(fd);
    if (r < 0)
        return rt_error(err, e, "attaching the device program to the container's cgroup: %s", strerror(e));
    return 0;
}
