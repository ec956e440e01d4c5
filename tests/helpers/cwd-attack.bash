# The leaked-fd cwd attack (CVE-2024-21626 class) shared by
# tests/integration/escape-cwd.bats and tests/engine/escape-cwd.bats: a cwd
# of /proc/self/fd/N for each low N, each attempt classified.

# cwd_attempts WHAT...: WHAT is called with each N and a `try` of the
# attempt; prints one line per N: "refused:N" (the outside-the-root check),
# "ran:N:<output>" or "other:N".
cwd_attempts() {
    local n
    for n in 3 4 5 6 7 8 9 10 11 12 13 14 15; do
        "$@" "$n"
        if [ "$status" -eq 0 ]; then
            echo "ran:$n:$output"
        elif [[ "$stderr" == *"is outside the container root"* ]]; then
            echo "refused:$n"
        else
            echo "other:$n"
        fi
    done
}
