/* brig's default seccomp profile, in docker's format (docs/seccomp.md says
 * why each group is where it is).
 *
 * Shape of the policy:
 *   - an allowlist: what ordinary programs need is SCMP_ACT_ALLOW;
 *   - known-dangerous syscalls (kernel attack surface, host-global state,
 *     namespace escapes) get EPERM unless the container holds the capability
 *     that makes them legitimate; each such group is written twice, an ALLOW
 *     rule that `includes` the capability and an EPERM rule that `excludes`
 *     it, so for any capability set exactly one of the two survives and
 *     libseccomp never sees two actions for one syscall;
 *   - everything else, including any syscall newer than this list, gets the
 *     default ENOSYS: a new glibc treats ENOSYS as "old kernel" and falls
 *     back to the older call, where EPERM would be a hard failure.
 * Rules with arguments (clone, personality) are written so that the ALLOW
 * and the EPERM conditions can never both match one call: libseccomp gives
 * no documented precedence between overlapping rules.
 *
 * Names unknown to this machine's libseccomp or architecture are skipped by
 * the runtime, so one list serves every architecture. */
#include "spec/seccomp_profile.h"

/* clone(2) flags that create namespaces: CLONE_NEWNS | CLONE_NEWCGROUP |
 * CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET. */
#define NS_FLAGS "2114060288"
#define S390 "\"SCMP_ARCH_S390\", \"SCMP_ARCH_S390X\""
#define NOT_ADMIN "\"excludes\": {\"caps\": [\"CAP_SYS_ADMIN\"]}"

/* One EPERM rule for clone with namespace flag `bit` set, the flags in
 * argument `idx`; `filter` holds the includes/excludes members. */
#define CLONE_NS_EPERM(bit, idx, filter)                                                           \
    "{\"names\": [\"clone\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 1, "                   \
    "\"args\": [{\"index\": " idx ", \"value\": " bit ", \"valueTwo\": " bit ", "                  \
    "\"op\": \"SCMP_CMP_MASKED_EQ\"}], " filter "},\n"
#define CLONE_NS_EPERM_ALL(idx, filter)                                                            \
    CLONE_NS_EPERM("131072", idx, filter)                                                          \
    CLONE_NS_EPERM("33554432", idx, filter)                                                        \
    CLONE_NS_EPERM("67108864", idx, filter)                                                        \
    CLONE_NS_EPERM("134217728", idx, filter)                                                       \
    CLONE_NS_EPERM("268435456", idx, filter)                                                       \
    CLONE_NS_EPERM("536870912", idx, filter) CLONE_NS_EPERM("1073741824", idx, filter)
#define NATIVE_CLONE "\"excludes\": {\"caps\": [\"CAP_SYS_ADMIN\"], \"arches\": [" S390 "]}"
#define S390_CLONE                                                                                 \
    "\"includes\": {\"arches\": [" S390 "]}, \"excludes\": {\"caps\": [\"CAP_SYS_ADMIN\"]}"

/* personality(2): a persona flag that weakens the address space (bit `b`
 * set) while bit 31 is clear, which keeps the query value 0xffffffff out. */
#define PERSONA_EPERM(mask, value)                                                                 \
    "{\"names\": [\"personality\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 1, "             \
    "\"args\": [{\"index\": 0, \"value\": " mask ", \"valueTwo\": " value ", "                     \
    "\"op\": \"SCMP_CMP_MASKED_EQ\"}]},\n"
#define PERSONA_ALLOW(value)                                                                       \
    "{\"names\": [\"personality\"], \"action\": \"SCMP_ACT_ALLOW\", "                              \
    "\"args\": [{\"index\": 0, \"value\": " value ", \"op\": \"SCMP_CMP_EQ\"}]},\n"

/* A capability-gated group: ALLOW with the capability, EPERM without. */
#define GATED(names, caps_json, comment)                                                           \
    "{\"comment\": \"" comment "\", \"names\": [" names "], \"action\": \"SCMP_ACT_ALLOW\", "      \
    "\"includes\": {\"caps\": [" caps_json "]}},\n"                                                \
    "{\"comment\": \"" comment " (without the capability)\", \"names\": [" names "], "             \
    "\"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 1, \"excludes\": {\"caps\": [" caps_json        \
    "]}},\n"

static const char profile[] =
    "{\n"
    "\"defaultAction\": \"SCMP_ACT_ERRNO\",\n"
    "\"defaultErrnoRet\": 38,\n"
    "\"archMap\": [\n"
    /* x86_64 also filters the i386 ABI (32-bit images, int 0x80), like
     * docker.  Unlike docker, not x32: that ABI is compiled out of most
     * distribution kernels, x32 binaries barely exist, and filtering it
     * triples libseccomp's compile time (docs/seccomp.md has the numbers).
     * Without it in the filter, a syscall with the x32 bit set is a bad
     * architecture to the filter, and the process is killed. */
    "{\"architecture\": \"SCMP_ARCH_X86_64\", \"subArchitectures\": [\"SCMP_ARCH_X86\"]},\n"
    "{\"architecture\": \"SCMP_ARCH_AARCH64\", \"subArchitectures\": [\"SCMP_ARCH_ARM\"]},\n"
    "{\"architecture\": \"SCMP_ARCH_PPC64LE\", \"subArchitectures\": []},\n"
    "{\"architecture\": \"SCMP_ARCH_S390X\", \"subArchitectures\": [\"SCMP_ARCH_S390\"]},\n"
    "{\"architecture\": \"SCMP_ARCH_RISCV64\", \"subArchitectures\": []}\n"
    "],\n"
    "\"syscalls\": [\n"

    /* ---- files and descriptors ---- */
    "{\"comment\": \"files, directories, descriptors\", \"names\": ["
    "\"read\", \"write\", \"readv\", \"writev\", \"pread64\", \"pwrite64\", \"preadv\", "
    "\"pwritev\", \"preadv2\", \"pwritev2\", \"open\", \"openat\", \"openat2\", \"creat\", "
    "\"close\", \"close_range\", \"lseek\", \"_llseek\", \"stat\", \"fstat\", \"lstat\", "
    "\"newfstatat\", \"stat64\", \"fstat64\", \"lstat64\", \"fstatat64\", \"statx\", \"statfs\", "
    "\"fstatfs\", \"statfs64\", \"fstatfs64\", \"access\", \"faccessat\", \"faccessat2\", "
    "\"readlink\", \"readlinkat\", \"getdents\", \"getdents64\", \"mkdir\", \"mkdirat\", "
    "\"rmdir\", \"unlink\", \"unlinkat\", \"rename\", \"renameat\", \"renameat2\", \"link\", "
    "\"linkat\", \"symlink\", \"symlinkat\", \"chmod\", \"fchmod\", \"fchmodat\", \"fchmodat2\", "
    "\"chown\", \"fchown\", \"lchown\", \"fchownat\", \"chown32\", \"fchown32\", \"lchown32\", "
    "\"truncate\", \"ftruncate\", \"truncate64\", \"ftruncate64\", \"fallocate\", \"fsync\", "
    "\"fdatasync\", \"sync\", \"syncfs\", \"sync_file_range\", \"sync_file_range2\", "
    "\"arm_sync_file_range\", \"fadvise64\", \"fadvise64_64\", \"arm_fadvise64_64\", "
    "\"readahead\", \"dup\", \"dup2\", \"dup3\", \"fcntl\", \"fcntl64\", \"flock\", \"ioctl\", "
    "\"pipe\", \"pipe2\", \"sendfile\", \"sendfile64\", \"splice\", \"tee\", \"vmsplice\", "
    "\"copy_file_range\", \"utime\", \"utimes\", \"utimensat\", \"utimensat_time64\", "
    "\"futimesat\", \"umask\", \"chdir\", \"fchdir\", \"getcwd\", \"chroot\", \"mknod\", "
    "\"mknodat\", \"getxattr\", \"lgetxattr\", \"fgetxattr\", \"setxattr\", \"lsetxattr\", "
    "\"fsetxattr\", \"listxattr\", \"llistxattr\", \"flistxattr\", \"removexattr\", "
    "\"lremovexattr\", \"fremovexattr\", \"inotify_init\", \"inotify_init1\", "
    "\"inotify_add_watch\", \"inotify_rm_watch\", \"fanotify_mark\", \"memfd_create\"], "
    "\"action\": \"SCMP_ACT_ALLOW\"},\n"

    /* ---- waiting, events, async I/O ---- */
    "{\"comment\": \"polling, event descriptors, POSIX AIO\", \"names\": ["
    "\"select\", \"_newselect\", \"pselect6\", \"pselect6_time64\", \"poll\", \"ppoll\", "
    "\"ppoll_time64\", \"epoll_create\", \"epoll_create1\", \"epoll_ctl\", \"epoll_wait\", "
    "\"epoll_pwait\", \"epoll_pwait2\", \"eventfd\", \"eventfd2\", \"signalfd\", \"signalfd4\", "
    "\"timerfd_create\", \"timerfd_settime\", \"timerfd_gettime\", \"timerfd_settime64\", "
    "\"timerfd_gettime64\", \"io_setup\", \"io_destroy\", \"io_submit\", \"io_cancel\", "
    "\"io_getevents\", \"io_pgetevents\", \"io_pgetevents_time64\"], "
    "\"action\": \"SCMP_ACT_ALLOW\"},\n"

    /* ---- memory ---- */
    "{\"comment\": \"memory\", \"names\": ["
    "\"brk\", \"mmap\", \"mmap2\", \"munmap\", \"mremap\", \"mprotect\", \"pkey_mprotect\", "
    "\"pkey_alloc\", \"pkey_free\", \"madvise\", \"mlock\", \"mlock2\", \"munlock\", "
    "\"mlockall\", \"munlockall\", \"mincore\", \"msync\", \"remap_file_pages\", "
    "\"membarrier\", \"get_mempolicy\", \"map_shadow_stack\", \"mseal\"], "
    "\"action\": \"SCMP_ACT_ALLOW\"},\n"

    /* ---- processes, threads, signals, identity ---- */
    "{\"comment\": \"processes, threads, signals, credentials, scheduling\", \"names\": ["
    "\"fork\", \"vfork\", \"execve\", \"execveat\", \"exit\", \"exit_group\", \"wait4\", "
    "\"waitid\", \"waitpid\", \"kill\", \"tkill\", \"tgkill\", \"rt_sigqueueinfo\", "
    "\"rt_tgsigqueueinfo\", \"pidfd_open\", \"pidfd_send_signal\", \"process_mrelease\", "
    "\"getpid\", \"getppid\", \"gettid\", \"getpgid\", \"setpgid\", \"getpgrp\", \"getsid\", "
    "\"setsid\", \"getuid\", \"geteuid\", \"getgid\", \"getegid\", \"getuid32\", "
    "\"geteuid32\", \"getgid32\", \"getegid32\", \"setuid\", \"setgid\", \"setuid32\", "
    "\"setgid32\", \"setreuid\", \"setregid\", \"setreuid32\", \"setregid32\", \"setresuid\", "
    "\"setresgid\", \"setresuid32\", \"setresgid32\", \"getresuid\", \"getresgid\", "
    "\"getresuid32\", \"getresgid32\", \"setfsuid\", \"setfsgid\", \"setfsuid32\", "
    "\"setfsgid32\", \"getgroups\", \"setgroups\", \"getgroups32\", \"setgroups32\", "
    "\"capget\", \"capset\", \"prctl\", \"arch_prctl\", \"set_tid_address\", "
    "\"set_robust_list\", \"get_robust_list\", \"rseq\", \"futex\", \"futex_time64\", "
    "\"futex_waitv\", \"set_thread_area\", \"get_thread_area\", \"set_tls\", \"cacheflush\", "
    "\"breakpoint\", \"restart_syscall\", \"seccomp\", \"sched_yield\", \"sched_getaffinity\", "
    "\"sched_setaffinity\", \"sched_getparam\", \"sched_setparam\", \"sched_getscheduler\", "
    "\"sched_setscheduler\", \"sched_get_priority_max\", \"sched_get_priority_min\", "
    "\"sched_rr_get_interval\", \"sched_rr_get_interval_time64\", \"sched_getattr\", "
    "\"sched_setattr\", \"getpriority\", \"setpriority\", \"ioprio_get\", \"ioprio_set\", "
    "\"getcpu\", \"getrlimit\", \"ugetrlimit\", \"setrlimit\", \"prlimit64\", \"getrusage\", "
    "\"times\", \"uname\", \"sysinfo\", \"getrandom\", \"sethostname\", \"setdomainname\", "
    "\"vhangup\", \"landlock_create_ruleset\", \"landlock_add_rule\", "
    "\"landlock_restrict_self\"], "
    "\"action\": \"SCMP_ACT_ALLOW\"},\n"
    "{\"comment\": \"signal handling\", \"names\": ["
    "\"rt_sigaction\", \"rt_sigprocmask\", \"rt_sigreturn\", \"rt_sigpending\", "
    "\"rt_sigtimedwait\", \"rt_sigtimedwait_time64\", \"rt_sigsuspend\", \"sigaltstack\", "
    "\"sigaction\", \"sigprocmask\", \"sigreturn\", \"sigpending\", \"sigsuspend\", "
    "\"pause\"], \"action\": \"SCMP_ACT_ALLOW\"},\n"

    /* ---- time (reading it) ---- */
    "{\"comment\": \"clocks and timers (reading; adjtimex with modes 0 is a read, the "
    "kernel checks CAP_SYS_TIME for anything else)\", \"names\": ["
    "\"time\", \"gettimeofday\", \"clock_gettime\", \"clock_gettime64\", \"clock_getres\", "
    "\"clock_getres_time64\", \"clock_nanosleep\", \"clock_nanosleep_time64\", \"nanosleep\", "
    "\"alarm\", \"getitimer\", \"setitimer\", \"timer_create\", \"timer_settime\", "
    "\"timer_settime64\", \"timer_gettime\", \"timer_gettime64\", \"timer_getoverrun\", "
    "\"timer_delete\", \"adjtimex\", \"clock_adjtime\", \"clock_adjtime64\"], "
    "\"action\": \"SCMP_ACT_ALLOW\"},\n"

    /* ---- IPC and sockets: private to the container's namespaces ---- */
    "{\"comment\": \"System V and POSIX IPC (the container has its own IPC namespace)\", "
    "\"names\": ["
    "\"shmget\", \"shmat\", \"shmdt\", \"shmctl\", \"semget\", \"semop\", \"semtimedop\", "
    "\"semtimedop_time64\", \"semctl\", \"msgget\", \"msgsnd\", \"msgrcv\", \"msgctl\", "
    "\"ipc\", \"mq_open\", \"mq_unlink\", \"mq_timedsend\", \"mq_timedsend_time64\", "
    "\"mq_timedreceive\", \"mq_timedreceive_time64\", \"mq_notify\", \"mq_getsetattr\"], "
    "\"action\": \"SCMP_ACT_ALLOW\"},\n"
    "{\"comment\": \"sockets (the container has its own network namespace)\", \"names\": ["
    "\"socket\", \"socketpair\", \"bind\", \"listen\", \"accept\", \"accept4\", \"connect\", "
    "\"getsockname\", \"getpeername\", \"sendto\", \"recvfrom\", \"send\", \"recv\", "
    "\"sendmsg\", \"recvmsg\", \"sendmmsg\", \"recvmmsg\", \"recvmmsg_time64\", \"shutdown\", "
    "\"setsockopt\", \"getsockopt\", \"socketcall\"], \"action\": \"SCMP_ACT_ALLOW\"},\n"

    /* ---- clone: threads and processes yes, namespaces only with CAP_SYS_ADMIN ---- */
    "{\"comment\": \"clone without namespace flags\", \"names\": [\"clone\"], "
    "\"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 0, \"value\": " NS_FLAGS ", "
    "\"valueTwo\": 0, \"op\": \"SCMP_CMP_MASKED_EQ\"}], " NATIVE_CLONE
    "},\n" CLONE_NS_EPERM_ALL("0", NATIVE_CLONE)
    /* s390's clone takes the flags second. */
    "{\"comment\": \"clone without namespace flags (s390)\", \"names\": [\"clone\"], "
    "\"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 1, \"value\": " NS_FLAGS ", "
    "\"valueTwo\": 0, \"op\": \"SCMP_CMP_MASKED_EQ\"}], " S390_CLONE
    "},\n" CLONE_NS_EPERM_ALL("1", S390_CLONE)
    /* clone3 passes its flags in a struct seccomp cannot read: ENOSYS makes
     * glibc fall back to clone, whose flags the rules above check. */
    "{\"comment\": \"clone3: flags unreadable by seccomp; glibc falls back to clone\", "
    "\"names\": [\"clone3\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 38, " NOT_ADMIN "},\n"

    /* ---- personality: the personas programs use, and the query ---- */
    PERSONA_ALLOW("0") PERSONA_ALLOW("8") PERSONA_ALLOW("131072") PERSONA_ALLOW("131080")
        PERSONA_ALLOW("4294967295") PERSONA_EPERM("2147745792", "262144")
            PERSONA_EPERM("2148007936", "524288") PERSONA_EPERM("2148532224", "1048576")
                PERSONA_EPERM("2149580800", "2097152") PERSONA_EPERM("2151677952", "4194304")
                    PERSONA_EPERM("2155872256", "8388608") PERSONA_EPERM("2164260864", "16777216")
                        PERSONA_EPERM("2181038080", "33554432")
                            PERSONA_EPERM("2214592512", "67108864")
                                PERSONA_EPERM("2281701376", "134217728")

    /* ---- capability-gated groups ---- */
    GATED("\"mount\", \"umount\", \"umount2\", \"pivot_root\", \"unshare\", \"setns\", "
          "\"fsopen\", \"fsconfig\", \"fsmount\", \"fspick\", \"move_mount\", \"open_tree\", "
          "\"mount_setattr\", \"swapon\", \"swapoff\", \"quotactl\", "
          "\"quotactl_fd\", \"lookup_dcookie\", \"fanotify_init\", \"name_to_handle_at\", "
          "\"keyctl\", \"add_key\", \"request_key\"",
          "\"CAP_SYS_ADMIN\"", "mounts, namespaces, swap, quotas, keyrings (not namespaced)")
    /* Only the ALLOW half: without CAP_SYS_ADMIN clone keeps its argument
     * rules above, and the EPERM half comes from the previous group. */
    "{\"comment\": \"clone and clone3 with any flags\", \"names\": [\"clone\", \"clone3\"], "
    "\"action\": \"SCMP_ACT_ALLOW\", \"includes\": {\"caps\": [\"CAP_SYS_ADMIN\"]}},\n"
    "{\"comment\": \"bpf\", \"names\": [\"bpf\"], \"action\": \"SCMP_ACT_ALLOW\", "
    "\"includes\": {\"caps\": [\"CAP_SYS_ADMIN\"]}},\n"
    "{\"comment\": \"bpf\", \"names\": [\"bpf\"], \"action\": \"SCMP_ACT_ALLOW\", "
    "\"includes\": {\"caps\": [\"CAP_BPF\"]}},\n"
    "{\"comment\": \"bpf (without the capability)\", \"names\": [\"bpf\"], "
    "\"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 1, "
    "\"excludes\": {\"caps\": [\"CAP_SYS_ADMIN\", \"CAP_BPF\"]}},\n"
    "{\"comment\": \"perf_event_open\", \"names\": [\"perf_event_open\"], "
    "\"action\": \"SCMP_ACT_ALLOW\", \"includes\": {\"caps\": [\"CAP_SYS_ADMIN\"]}},\n"
    "{\"comment\": \"perf_event_open\", \"names\": [\"perf_event_open\"], "
    "\"action\": \"SCMP_ACT_ALLOW\", \"includes\": {\"caps\": [\"CAP_PERFMON\"]}},\n"
    "{\"comment\": \"perf_event_open (without the capability)\", "
    "\"names\": [\"perf_event_open\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 1, "
    "\"excludes\": {\"caps\": [\"CAP_SYS_ADMIN\", \"CAP_PERFMON\"]}},\n" GATED(
        "\"ptrace\", \"process_vm_readv\", \"process_vm_writev\", \"kcmp\", "
        "\"pidfd_getfd\", \"process_madvise\", \"userfaultfd\"",
        "\"CAP_SYS_PTRACE\"", "other processes' memory, userfaultfd")
        GATED("\"settimeofday\", \"stime\", \"clock_settime\", \"clock_settime64\"",
              "\"CAP_SYS_TIME\"", "setting the host's clock (not namespaced)")
            GATED("\"init_module\", \"finit_module\", \"delete_module\"", "\"CAP_SYS_MODULE\"",
                  "kernel modules") GATED("\"reboot\", \"kexec_load\", \"kexec_file_load\"",
                                          "\"CAP_SYS_BOOT\"", "reboot and kexec")
                GATED("\"syslog\"", "\"CAP_SYSLOG\"", "the kernel log")
                    GATED("\"iopl\", \"ioperm\"", "\"CAP_SYS_RAWIO\"", "I/O ports")
                        GATED("\"acct\"", "\"CAP_SYS_PACCT\"", "process accounting")
                            GATED("\"open_by_handle_at\"", "\"CAP_DAC_READ_SEARCH\"",
                                  "file handles bypass the mount namespace")
                                GATED("\"mbind\", \"set_mempolicy\", \"set_mempolicy_home_node\", "
                                      "\"migrate_pages\", "
                                      "\"move_pages\"",
                                      "\"CAP_SYS_NICE\"", "NUMA placement")

    /* ---- never, whatever the capabilities ---- */
    "{\"comment\": \"obsolete or unsafe at any privilege\", \"names\": ["
    "\"nfsservctl\", \"vm86\", \"vm86old\", \"uselib\", \"modify_ldt\", \"create_module\", "
    "\"get_kernel_syms\", \"query_module\", \"_sysctl\"], \"action\": \"SCMP_ACT_ERRNO\", "
    "\"errnoRet\": 1}\n"
    "]\n"
    "}\n";

const char *brig_seccomp_default_profile(void)
{
    return profile;
}
