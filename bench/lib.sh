# Shared by the bench scripts (sourced).

# bench_hide_hybrid_cgroup2 WORKDIR: crun refuses this kind of host's hybrid
# cgroup layout (a cgroup2 mount holding only hugetlb).  In the caller's
# private mount namespace, an empty file over
# /sys/fs/cgroup/unified/cgroup.controllers makes every runtime treat the
# host as cgroup v1, so all of them run on the same terms.
bench_hide_hybrid_cgroup2() {
    if [ -e /sys/fs/cgroup/unified/cgroup.controllers ] &&
        [ "$(stat -f -c %T /sys/fs/cgroup)" != cgroup2fs ]; then
        : >"$1/empty"
        mount --bind "$1/empty" /sys/fs/cgroup/unified/cgroup.controllers
    fi
}
