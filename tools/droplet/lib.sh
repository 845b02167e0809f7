# shellcheck shell=bash
# tools/droplet/lib.sh - what run.sh, stop.sh, tools/demo.sh and the test
# share about a booted demo droplet (sourced). OUT is the droplet's build
# directory (build/droplet); OUT/state is written by run.sh:
#   QEMU_PID SSH_PORT HTTP_PORT GUEST_PORT STARTED (host time, s)

droplet_state() {
    local out=$1
    [ -f "$out/state" ] || { echo "droplet: not running ($out/state missing; tools/droplet/run.sh)" >&2; return 1; }
    # shellcheck disable=SC1091
    source "$out/state"
}

# droplet_ssh OUT COMMAND...: run COMMAND on the droplet as root, with
# the key made at build time, checking the host key made at build time
droplet_ssh() {
    local out=$1
    shift
    ssh -q -p "$SSH_PORT" -i "$out/keys/id_ed25519" -o IdentitiesOnly=yes -o BatchMode=yes \
        -o UserKnownHostsFile="$out/keys/known_hosts" -o StrictHostKeyChecking=yes \
        -o ConnectTimeout=5 -o LogLevel=ERROR root@127.0.0.1 "$@"
}

droplet_alive() { [ -n "${QEMU_PID:-}" ] && kill -0 "$QEMU_PID" 2>/dev/null; }

# droplet_wait_healthy OUT SECONDS: until every service is running and
# healthy (or has completed, as the import job), as `rtctl status` says
# over SSH; prints the last status seen. Fails after SECONDS. sshd counts
# once it runs: this is a session through it (its first check is a
# minute after its start).
droplet_wait_healthy() {
    local out=$1 limit=$2 end st
    end=$((SECONDS + limit))
    while [ $SECONDS -lt $end ]; do
        droplet_alive || { echo "droplet: QEMU has exited (see $out/serial.log)" >&2; return 1; }
        if st=$(droplet_ssh "$out" rtctl status 2>/dev/null) &&
            [ -n "$(awk 'NR > 1' <<<"$st")" ] &&
            ! awk 'NR > 1 && !(($2 == "running" && $3 == "healthy") || ($2 == "exited" && $NF == "0" ) || $0 ~ /exited with status 0/ || ($2 == "running" && $3 == "-") || ($1 == "sshd" && $2 == "running"))' <<<"$st" | grep -q .; then
            printf '%s\n' "$st"
            return 0
        fi
        sleep 2
    done
    echo "droplet: not every service is healthy after ${limit}s:" >&2
    printf '%s\n' "${st:-(no answer over SSH)}" >&2
    return 1
}

# droplet_console OUT: what to read first when a boot went wrong: the
# lines of the serial console from the initramfs's hand-over, rtinit's own,
# errors, and the panic's reason, without the stack dump that follows it.
droplet_console() {
    tr -d '\r' <"$1/serial.log" |
        grep -E -i 'Run /|run-init|/sbin/init|rtinit|error|not found|cannot|failed|panic|Attempted to kill|exitcode' |
        grep -v -E '^\[ *[0-9.]+\] +(\?|[A-Z0-9]{2,3}:|Code:|Call Trace|<)' | head -n 40
}

droplet_free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
