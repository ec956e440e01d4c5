/* cgroup2 device access control.  v2 has no devices.allow file: the kernel
 * asks a BPF_PROG_TYPE_CGROUP_DEVICE program attached to the cgroup, once
 * per open/mknod, with (type, major, minor, access).  brig compiles the OCI
 * rule list into such a program itself (raw bpf(2), no libbpf).
 *
 * Semantics, the same as writing the rules to v1's devices.allow/deny in
 * order after "deny a": default deny, and for each access bit (m, r, w) the
 * LAST rule that matches the device and names that bit decides it.  The
 * program walks the rules backwards keeping the still-undecided requested
 * bits in r6: a matching deny rule that names an undecided bit denies; a
 * matching allow rule clears the bits it names and allows once none is left;
 * falling off the end denies. */
#include "cgroup/cgroup_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/util.h"

#define R(t, a, maj, min)                                                                          \
    {                                                                                              \
        .allow = true, .type = (t), .major = (maj), .minor = (min), .access = a                    \
    }
const struct brig_spec_device_rule brig_cg_default_device_rules[] = {
    R('c', "m", -1, -1),    R('b', "m", -1, -1), /* mknod of anything; use stays denied */
    R('c', "rwm", 1, 3),                         /* /dev/null */
    R('c', "rwm", 1, 5),                         /* /dev/zero */
    R('c', "rwm", 1, 7),                         /* /dev/full */
    R('c', "rwm", 1, 8),                         /* /dev/random */
    R('c', "rwm", 1, 9),                         /* /dev/urandom */
    R('c', "rwm", 5, 0),                         /* /dev/tty */
    R('c', "rwm", 5, 2),                         /* /dev/ptmx */
    R('c', "rwm", 136, -1),                      /* /dev/pts/N */
};
#undef R
const size_t brig_cg_n_default_device_rules = BRIG_ARRAY_SIZE(brig_cg_default_device_rules);

struct prog {
    struct bpf_insn *insns;
    size_t n, cap;
};

static size_t emit(struct prog *p, uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 64;
        p->insns = brig_xrealloc(p->insns, p->cap * sizeof(*p->insns));
    }
    p->insns[p->n] =
        (struct bpf_insn){.code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm};
    return p->n++;
}

static int access_bits(const char *access)
{
    int bits = 0;
    for (const char *a = access; *a; a++)
        bits |= *a == 'm'   ? BPF_DEVCG_ACC_MKNOD
                : *a == 'r' ? BPF_DEVCG_ACC_READ
                : *a == 'w' ? BPF_DEVCG_ACC_WRITE
                            : 0;
    return bits;
}

static void emit_rule(struct prog *p, const struct brig_spec_device_rule *r)
{
    size_t jumps[3], nj = 0;
    int bits = access_bits(r->access);

    if (bits == 0)
        return;
    /* Each test jumps past this rule's block when the device differs;
     * offsets are patched once the block's length is known.  JMP32 compares
     * the low 32 bits, so major/minor above INT32_MAX compare right. */
    if (r->type != 'a') {
        int t = r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR;
        jumps[nj++] = emit(p, BPF_JMP32 | BPF_JNE | BPF_K, BPF_REG_2, 0, 0, t);
        if (r->major >= 0)
            jumps[nj++] =
                emit(p, BPF_JMP32 | BPF_JNE | BPF_K, BPF_REG_4, 0, 0, (int32_t)(uint32_t)r->major);
        if (r->minor >= 0)
            jumps[nj++] =
                emit(p, BPF_JMP32 | BPF_JNE | BPF_K, BPF_REG_5, 0, 0, (int32_t)(uint32_t)r->minor);
    }
    if (r->allow) {
        /* r6 &= ~bits; if (r6 == 0) return 1; */
        emit(p, BPF_ALU64 | BPF_AND | BPF_K, BPF_REG_6, 0, 0, ~bits);
        emit(p, BPF_JMP | BPF_JNE | BPF_K, BPF_REG_6, 0, 2, 0);
        emit(p, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 1);
        emit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
    } else {
        /* if (r6 & bits) return 0; */
        emit(p, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_0, BPF_REG_6, 0, 0);
        emit(p, BPF_ALU64 | BPF_AND | BPF_K, BPF_REG_0, 0, 0, bits);
        emit(p, BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_0, 0, 2, 0);
        emit(p, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0);
        emit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
    }
    for (size_t i = 0; i < nj; i++)
        p->insns[jumps[i]].off = (int16_t)(p->n - jumps[i] - 1);
}

static void add_rules(struct prog *p, const struct brig_spec_device_rule *rules, size_t n)
{
    for (size_t i = n; i-- > 0;)
        emit_rule(p, &rules[i]);
}

static void build_program(struct prog *p, const struct brig_spec_device_rule *rules, size_t n)
{
    /* r1 = struct bpf_cgroup_dev_ctx *: r2 = type, r3 = access, r4 = major,
     * r5 = minor, r6 = access bits not decided yet. */
    emit(p, BPF_LDX | BPF_MEM | BPF_W, BPF_REG_2, BPF_REG_1, 0, 0);
    emit(p, BPF_ALU | BPF_AND | BPF_K, BPF_REG_2, 0, 0, 0xffff);
    emit(p, BPF_LDX | BPF_MEM | BPF_W, BPF_REG_3, BPF_REG_1, 0, 0);
    emit(p, BPF_ALU | BPF_RSH | BPF_K, BPF_REG_3, 0, 0, 16);
    emit(p, BPF_LDX | BPF_MEM | BPF_W, BPF_REG_4, BPF_REG_1, 4, 0);
    emit(p, BPF_LDX | BPF_MEM | BPF_W, BPF_REG_5, BPF_REG_1, 8, 0);
    emit(p, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_6, BPF_REG_3, 0, 0);
    /* The defaults come after the user's rules, so they are checked
     * first walking backwards: they win, as in runc. */
    add_rules(p, brig_cg_default_device_rules, brig_cg_n_default_device_rules);
    add_rules(p, rules, n);
    emit(p, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0);
    emit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

static int sys_bpf(int cmd, union bpf_attr *attr)
{
    return (int)syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

static int load_program(const struct prog *p, brig_error *reterr)
{
    _cleanup_free_ char *log = brig_xmalloc0(16384);
    union bpf_attr attr;
    int fd;

    memset(&attr, 0, sizeof(attr));
    attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    attr.insns = (uint64_t)(uintptr_t)p->insns;
    attr.insn_cnt = (uint32_t)p->n;
    attr.license = (uint64_t)(uintptr_t) "GPL";
    strncpy(attr.prog_name, "brig_devices", sizeof(attr.prog_name) - 1);
    fd = sys_bpf(BPF_PROG_LOAD, &attr);
    if (fd >= 0)
        return fd;
    if (errno == EACCES || errno == EINVAL) {
        /* Reload with the verifier log so the error says why. */
        int saved = errno;
        log[0] = '\0';
        attr.log_level = 1;
        attr.log_buf = (uint64_t)(uintptr_t)log;
        attr.log_size = 16384;
        fd = sys_bpf(BPF_PROG_LOAD, &attr);
        if (fd >= 0)
            return fd;
        log[16383] = '\0';
        return brig_error_set(reterr, saved, "load device eBPF program (%zu insns): %.300s", p->n,
                              log);
    }
    return brig_error_errno(reterr, "load device eBPF program");
}

static int prog_id(int fd, uint32_t *ret)
{
    struct bpf_prog_info info;
    union bpf_attr attr;

    memset(&info, 0, sizeof(info));
    memset(&attr, 0, sizeof(attr));
    attr.info.bpf_fd = (uint32_t)fd;
    attr.info.info_len = sizeof(info);
    attr.info.info = (uint64_t)(uintptr_t)&info;
    if (sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &attr) < 0)
        return -1;
    *ret = info.id;
    return 0;
}

/* Detach every device program on this cgroup except `keep`: the previous
 * rule set after an `update`, so the rules do not stack. */
static int detach_others(int cgfd, uint32_t keep, brig_error *reterr)
{
    uint32_t ids[64];
    union bpf_attr attr;

    memset(&attr, 0, sizeof(attr));
    attr.query.target_fd = (uint32_t)cgfd;
    attr.query.attach_type = BPF_CGROUP_DEVICE;
    attr.query.prog_ids = (uint64_t)(uintptr_t)ids;
    attr.query.prog_cnt = BRIG_ARRAY_SIZE(ids);
    if (sys_bpf(BPF_PROG_QUERY, &attr) < 0)
        return brig_error_errno(reterr, "query device eBPF programs");
    for (uint32_t i = 0; i < attr.query.prog_cnt && i < BRIG_ARRAY_SIZE(ids); i++) {
        union bpf_attr a;
        _cleanup_close_ int pfd = -1;
        if (ids[i] == keep)
            continue;
        memset(&a, 0, sizeof(a));
        a.prog_id = ids[i];
        pfd = sys_bpf(BPF_PROG_GET_FD_BY_ID, &a);
        if (pfd < 0) {
            if (errno == ENOENT)
                continue;
            return brig_error_errno(reterr, "open device eBPF program %u", ids[i]);
        }
        memset(&a, 0, sizeof(a));
        a.target_fd = (uint32_t)cgfd;
        a.attach_bpf_fd = (uint32_t)pfd;
        a.attach_type = BPF_CGROUP_DEVICE;
        if (sys_bpf(BPF_PROG_DETACH, &a) < 0 && errno != ENOENT)
            return brig_error_errno(reterr, "detach old device eBPF program %u", ids[i]);
    }
    return 0;
}

int brig_cg_devices_bpf_apply(const char *dir, const struct brig_spec_device_rule *rules,
                              size_t n_rules, brig_error *reterr)
{
    _cleanup_free_ struct bpf_insn *insns = NULL;
    _cleanup_close_ int cgfd = -1, pfd = -1;
    struct prog p = {0};
    union bpf_attr attr;
    uint32_t id = 0;

    build_program(&p, rules, n_rules);
    insns = p.insns;
    if (p.n > 30000)
        return brig_error_set(reterr, E2BIG, "set devices: %zu rules make too large a program",
                              n_rules);
    cgfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (cgfd < 0)
        return brig_error_errno(reterr, "open cgroup `%s`", dir);
    pfd = load_program(&p, reterr);
    if (pfd < 0)
        return -1;
    /* ALLOW_MULTI: what systemd and runc use, so a parent's program (e.g.
     * systemd's on the slice) still applies and ours can be swapped. */
    memset(&attr, 0, sizeof(attr));
    attr.target_fd = (uint32_t)cgfd;
    attr.attach_bpf_fd = (uint32_t)pfd;
    attr.attach_type = BPF_CGROUP_DEVICE;
    attr.attach_flags = BPF_F_ALLOW_MULTI;
    if (sys_bpf(BPF_PROG_ATTACH, &attr) < 0)
        return brig_error_errno(reterr, "attach device eBPF program to `%s`", dir);
    if (prog_id(pfd, &id) < 0)
        return brig_error_errno(reterr, "read device eBPF program id");
    return detach_others(cgfd, id, reterr);
}
