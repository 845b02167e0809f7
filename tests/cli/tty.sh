# rtctl exec -t / run -t: a pseudo-terminal of the container's own devpts,
# driven as a user at a terminal drives it (tests/cli/ptydrive.py holds
# the host terminal's master and slave): the size and its changes, raw
# mode while it runs and the mode put back on every way out, the process
# holding nothing but the slave, TIOCSTI kept inside; -u, -e, -w; options
# named in errors.

# shellcheck source=ctr.bash
source "$TOP/tests/cli/ctr.bash"

DRIVE="$TOP/tests/cli/ptydrive.py"
R=()
rtr() { R=("$RTCTL" --root "$PWD/root"); }

# svc: a container to exec into, ended with the test
svc() {
    rt run --name svc bb:1 sleep 120 >/dev/null 2>&1 &
    local p=$!
    trap "kill $p 2>/dev/null; wait $p 2>/dev/null || true" EXIT
    wait_running svc
}

# drive MODE [ARG] -- CMD...: ptydrive's result in $out, its status in $rc
drive() { run timeout 60 python3 "$DRIVE" "$@"; }
assert_ok() { assert_in "$out" "ok $1"; }

test_exec_it_is_a_terminal_of_the_containers_own() {
    setup && svc && rtr
    drive session -- "${R[@]}" exec -it svc sh
    assert_rc 0 || { say "$out"; return 1; }
    assert_ok "size 30 100" && assert_ok "size 40 120 after SIGWINCH" && assert_ok "raw while it runs"
    assert_ok "/dev/pts/0 of the container's own devpts" && assert_ok "the pty is its controlling terminal"
    assert_ok "exit status 7" && assert_ok "terminal mode restored" && assert_ok "nothing pushed into the host terminal"
}

test_run_it_is_a_terminal_of_the_containers_own() {
    setup && rtr
    drive session -- "${R[@]}" run -it --rm bb:1 sh
    assert_rc 0 || { say "$out"; return 1; }
    assert_ok "size 40 120 after SIGWINCH" && assert_ok "/dev/pts/0 of the container's own devpts"
    assert_ok "exit status 7" && assert_ok "terminal mode restored"
    # with --init: the command's process group is the terminal's foreground
    drive session -- "${R[@]}" run -it --rm --init bb:1 sh
    assert_rc 0 || { say "$out"; return 1; }
    assert_ok "size 40 120 after SIGWINCH" && assert_ok "exit status 7" && assert_ok "terminal mode restored"
}

# A signal to rtctl goes to the process; its end puts the terminal back.
test_the_terminal_is_put_back_after_a_signal() {
    setup && svc && rtr
    drive signal SIGTERM -- "${R[@]}" exec -it svc sleep 100
    assert_rc 0 || { say "$out"; return 1; }
    assert_ok "exit status 143" && assert_ok "terminal mode restored after signal 15"
    drive signal SIGHUP -- "${R[@]}" run -it --rm --init bb:1 sleep 100
    assert_rc 0 || { say "$out"; return 1; }
    assert_ok "exit status 129" && assert_ok "terminal mode restored after signal 1"
}

# The process holds its pty's slave as 0, 1, 2 and nothing else; as a
# non-root user the terminal is its own (mode 0620, group tty), and
# -e, -w and TERM are set; -t without -i leaves our terminal's mode alone.
test_exec_t_with_user_env_and_workdir() {
    setup && svc && rtr
    drive oneshot -- "${R[@]}" exec -t -u app -e FOO=bar -w /tmp svc \
        sh -c 'echo fds $(probe fds); for f in 0 1 2; do readlink /proc/self/fd/$f; done; stat -c "%U %a %g" $(tty); id -u; echo "FOO=$FOO TERM=$TERM"; pwd'
    assert_rc 0 || { say "$out"; return 1; }
    [ "$(grep -cx '/dev/pts/0' <<<"$out")" = 3 ] || { say "fds: $out"; return 1; }
    grep -qx 'fds 0 1 2' <<<"$out" || { say "fds: $out"; return 1; }
    assert_in "$out" "app 620 5"
    assert_in "$out" "FOO=bar TERM=xterm"
    grep -qx /tmp <<<"$out" && grep -qx 1000 <<<"$out" && assert_in "$out" "status 0" && assert_in "$out" "mode kept"
    # -e TERM wins over the default; the container's environment is kept
    drive oneshot -- "${R[@]}" exec -t -e TERM=vt100 svc sh -c 'echo "TERM=$TERM IMAGE_VAR=$IMAGE_VAR"'
    assert_in "$out" "TERM=vt100 IMAGE_VAR=from-image"
    # run -t: the same terminal, the image's user given it
    drive oneshot -- "${R[@]}" run -t --rm -u app bb:1 sh -c 'stat -c "%U %a" $(tty); echo "TERM=$TERM"'
    assert_in "$out" "app 620" && assert_in "$out" "TERM=xterm" && assert_in "$out" "mode kept"
}

# Without -t nothing changes: stdin passes through, with or without -i,
# and -e / -w / -u apply.
# -i passes stdin; without it the command reads /dev/null, as with
# docker, so a loop over a list keeps its list
test_exec_i_passes_stdin_and_without_i_the_command_reads_dev_null() {
    setup && svc
    run bash -c "echo hello | timeout 20 '$RTCTL' --root '$PWD/root' exec -i svc cat"
    assert_rc 0 && assert_in "$out" "hello"
    run bash -c "echo hello | timeout 20 '$RTCTL' --root '$PWD/root' exec -i -e A=1 -w /data -u app svc sh -c 'cat; echo \$A; pwd; id -u; tty || true'"
    assert_rc 0
    [ "$out" = $'hello\n1\n/data\n1000\nnot a tty' ] || { say "got: $out"; return 1; }
    run bash -c "printf 'a\nb\nc\n' | while read -r x; do timeout 20 '$RTCTL' --root '$PWD/root' exec svc sh -c \"cat; echo \$x\"; done"
    assert_rc 0
    [ "$out" = $'a\nb\nc' ] || { say "got: $out"; return 1; }
    run bash -c "printf 'a\nb\n' | while read -r x; do timeout 20 '$RTCTL' --root '$PWD/root' run --rm bb:1 sh -c \"cat; echo \$x\"; done"
    assert_rc 0
    [ "$out" = $'a\nb' ] || { say "got: $out"; return 1; }
}

# Usage errors name the option as it was written, and fail before anything runs.
test_option_errors_are_named() {
    setup && svc
    run rt exec -xt svc sh
    assert_rc 2 && assert_in "$err" "unknown option '-x'"
    run rt exec -tx svc sh
    assert_rc 2 && assert_in "$err" "unknown option '-x'"
    run rt run --rm -itz bb:1 sh
    assert_rc 2 && assert_in "$err" "unknown option '-z'"
    run rt exec --bogus svc sh
    assert_rc 2 && assert_in "$err" "unknown option '--bogus'"
    run rt exec --tty=yes svc sh
    assert_rc 2 && assert_in "$err" "option '--tty' takes no value"
    run rt exec -it
    assert_rc 2 && assert_in "$err" "missing NAME"
    run rt exec -it -u
    assert_rc 2 && assert_in "$err" "option '-u' needs a value"
    run rt run --name
    assert_rc 2 && assert_in "$err" "option '--name' needs a value"
    run rt exec -w tmp svc true
    assert_rc 2 && assert_in "$err" "-w 'tmp': must be an absolute path"
    run rt exec -e 1X=2 svc true
    assert_rc 2 && assert_in "$err" "-e '1X=2': not a valid variable name"
    run rt exec -u nosuch svc true
    assert_rc 1 && assert_in "$err" "user 'nosuch' is not in the image's /etc/passwd"
    # -i with -t wants a terminal on stdin, as docker's
    run bash -c "echo ls | '$RTCTL' --root '$PWD/root' exec -it svc sh"
    assert_rc 1 && assert_in "$err" "-i with -t: stdin is not a terminal"
    run bash -c "echo ls | '$RTCTL' --root '$PWD/root' run --rm -it bb:1 sh"
    assert_rc 1 && assert_in "$err" "-i with -t: stdin is not a terminal"
}

# A terminal nobody reads (rtctl's stdout full) does not make rtctl deaf:
# a signal is still passed on, and rtctl ends with the terminal put back.
test_a_signal_acts_while_the_output_is_not_read() {
    setup && svc && rtr
    drive stall SIGTERM -- "${R[@]}" exec -it svc yes
    assert_rc 0 || { say "$out"; return 1; }
    say "$(grep 'ok exited' <<<"$out")"
    assert_ok "exit status 143" && assert_ok "terminal mode restored"
    # --init: yes as PID 1 would ignore the SIGHUP it is passed
    drive stall SIGHUP -- "${R[@]}" run -it --rm --init bb:1 yes
    assert_rc 0 || { say "$out"; return 1; }
    assert_ok "exit status 129" && assert_ok "terminal mode restored"
}

# The terminal modes a program set through its output and left set when
# it ended (alternate screen, mouse, bracketed paste, hidden cursor) are
# reset after it, those only; a session that set none gets nothing.
test_modes_left_set_are_reset() {
    setup && svc && rtr
    drive oneshot -- "${R[@]}" exec -t svc sh -c \
        'printf "\033[?1049h\033[?10"; sleep 0.3; printf "00h\033[?2004h\033[?25l\033[?1002h\033[?1002l"; echo @@END@@'
    assert_rc 0 || { say "$out"; return 1; }
    assert_in "$out" "tail b'\\x1b[?1049l\\x1b[?1000l\\x1b[?2004l\\x1b[?25h'"
    # killed by a signal to rtctl, the same
    drive oneshot -- "${R[@]}" exec -t svc sh -c 'printf "\033[?1000h\033[?1006h@@END@@\n"; kill -9 $$'
    assert_in "$out" "status 137" && assert_in "$out" "tail b'\\x1b[?1000l\\x1b[?1006l'"
    # RIS (ESC c) resets them itself; a plain session gets no escape at all
    drive oneshot -- "${R[@]}" exec -t svc sh -c 'printf "\033[?1049h\033c"; echo @@END@@'
    assert_in "$out" "tail b''"
    drive oneshot -- "${R[@]}" run -t --rm bb:1 sh -c 'echo @@END@@'
    assert_in "$out" "tail b''" && assert_in "$out" "status 0"
}

# -u with a uid: the terminal is that uid's, group tty (devpts' gid=5),
# including a uid the image's /etc/passwd lacks.
test_the_terminal_is_the_numeric_users() {
    setup && svc && rtr
    drive oneshot -- "${R[@]}" exec -t -u 1000 svc sh -c 'stat -c "owner %u:%g" $(tty); ls -ln $(tty) | cut -c1-10'
    assert_in "$out" "owner 1000:5" && assert_in "$out" "crw--w----" && assert_in "$out" "status 0"
    drive oneshot -- "${R[@]}" exec -t -u 4242:4242 svc sh -c 'stat -c "owner %u:%g" $(tty); chmod 600 $(tty) && echo chmod ok'
    assert_in "$out" "owner 4242:5" && assert_in "$out" "chmod ok"
}
