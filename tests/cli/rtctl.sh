# rtctl for the people who run the droplet (issue 14): the help of every
# verb, the man pages, bash's completion against a running rtinit, and
# `rtctl logs` of several services: merged in time order, followed across
# rotations with no line lost or printed twice, --since and --until.

# shellcheck source=stack.bash
source "$TOP/tests/cli/stack.bash"

verbs() { "$RTCTL" help --verbs; }

test_help_lists_every_verb_by_task_and_each_verb_has_usage_options_and_an_example() {
    run "$RTCTL" help
    assert_rc 0
    [ -z "$err" ] || { say "stderr: $err"; return 1; }
    local help=$out v
    for g in "Services:" "Configuration:" "Images:" "Containers:" "The droplet:"; do
        assert_in "$help" "$g"
    done
    # the order of the groups, and what is in them
    before_in() { local a b; a=$(grep -nF -- "$2" <<<"$1" | head -n 1 | cut -d: -f1); b=$(grep -nF -- "$3" <<<"$1" | head -n 1 | cut -d: -f1); [ -n "$a" ] && [ -n "$b" ] && [ "$a" -lt "$b" ] || { say "'$2' not before '$3'"; return 1; }; }
    before_in "$help" "Services:" "  logs "
    before_in "$help" "  logs " "Configuration:"
    before_in "$help" "Configuration:" "  config check "
    before_in "$help" "Images:" "  image "
    before_in "$help" "The droplet:" "  poweroff "
    [ "$(verbs | wc -l)" -ge 15 ] || { say "verbs: $(verbs)"; return 1; }
    for v in $(verbs); do
        grep -E "^  [a-z]" <<<"$help" | grep -qwF -- "$v" || { say "$v is not in the overview"; return 1; }
        run "$RTCTL" help "$v"
        assert_rc 0
        local h=$out
        # an alias (a row with alias_of) has its verb's help
        [[ $(head -n 1 <<<"$h") == "rtctl $v:"* ]] || continue
        assert_in "$h" "usage: rtctl $v"
        assert_in "$h" "Example:"
        assert_in "$h" "  --root DIR"
        # VERB --help and -h say the same, on stdout, exit 0
        run "$RTCTL" "$v" --help
        assert_rc 0
        [ "$out" = "$h" ] || { say "rtctl $v --help differs from rtctl help $v"; return 1; }
        run "$RTCTL" "$v" -h
        [ "$out" = "$h" ] || { say "rtctl $v -h differs"; return 1; }
        # on an 80-column terminal, near enough
        if awk 'length > 100' <<<"$h" | grep -q .; then say "long lines in help $v: $(awk 'length > 100' <<<"$h")"; return 1; fi
    done
    # a verb's help after its options and with --root
    run "$RTCTL" --root "$PWD/r" logs -n 3 --help
    assert_rc 0
    assert_in "$out" "usage: rtctl logs"
    run "$RTCTL" help image import
    assert_rc 0
    assert_in "$out" "rtctl image import"
}

test_usage_errors_go_to_stderr_with_exit_2() {
    run "$RTCTL"
    assert_rc 2
    [ -z "$out" ] || { say "stdout: $out"; return 1; }
    assert_in "$err" "Services:"
    run "$RTCTL" help lgos
    assert_rc 2
    assert_in "$err" "no verb 'lgos' (did you mean 'logs'?)"
    run "$RTCTL" lgos
    assert_rc 2
    assert_in "$err" "did you mean 'logs'?"
    run "$RTCTL" logs --bogus
    assert_rc 2
    [ -z "$out" ] || { say "stdout: $out"; return 1; }
    assert_in "$err" "unknown option '--bogus'"
    assert_in "$err" "usage: rtctl logs [-f] [-n N]"
    run "$RTCTL" logs -n many x
    assert_rc 2
    assert_in "$err" "-n 'many': expected a number of lines"
    run "$RTCTL" logs --since yesterday x
    assert_rc 2
    assert_in "$err" "--since 'yesterday': expected a duration such as 10m"
    run "$RTCTL" version extra
    assert_rc 2
    # rtctl's own version, and rtinit's when it answers (3: it does not)
    run "$RTCTL" --root "$PWD/none" version
    assert_rc 3
    assert_in "$out" "rtctl "
    run "$RTCTL" --version
    assert_rc 0
    assert_in "$out" "rtctl "
}

# The man pages: groff and man render them without a warning; rtctl(8)
# has every verb and every option the help lists, rt.conf(5) every key of
# the parser's table, and its examples pass config check.
test_man_pages_render_without_warnings_and_cover_every_verb_option_and_key() {
    local m f v o
    for f in rtctl.8 rtinit.8 rt.conf.5; do
        m=$TOP/docs/man/$f
        [ -f "$m" ] || { say "no $m"; return 1; }
        run groff -t -man -Tutf8 -ww -z "$m"
        assert_rc 0
        [ -z "$err" ] || { say "groff on $f: $err"; return 1; }
        run env MANWIDTH=80 man --warnings -l "$m"
        assert_rc 0
        [ -z "$err" ] || { say "man on $f: $err"; return 1; }
        assert_in "$out" "NAME"
    done
    m=$TOP/docs/man/rtctl.8
    for v in $(verbs); do
        if [[ $("$RTCTL" help "$v" | head -n 1) != "rtctl $v:"* ]]; then
            # an alias: named beside its verb
            grep -qF "rtctl $v" "$m" || { say "rtctl.8 lacks the alias $v"; return 1; }
            continue
        fi
        grep -qE "^\.B rtctl $v( |$)" "$m" || { say "rtctl.8 lacks the verb $v"; return 1; }
        # every long option of the verb's help, as roff writes it (\-\-opt)
        for o in $("$RTCTL" help "$v" | awk '/^Options:/ { on = 1; next } /^$/ { on = 0 } on' |
            grep -oE -- '--[a-z][a-z-]*' | sort -u); do
            grep -qF -- "$(sed 's/-/\\-/g' <<<"$o")" "$m" || { say "rtctl.8 lacks $v $o"; return 1; }
        done
    done
    local keys missing=""
    keys=$(grep -oE '^\s*\[K_[A-Z0-9_]+\] = \{"[a-z0-9_]+"' "$TOP"/config/*.c | sed -E 's/.*"([a-z0-9_]+)"/\1/' | sort -u)
    [ "$(wc -w <<<"$keys")" -ge 55 ] || { say "only $(wc -w <<<"$keys") keys found in config/*.c"; return 1; }
    for k in $keys; do
        grep -qx "\.B $k" "$TOP/docs/man/rt.conf.5" || missing="$missing $k"
    done
    [ -z "$missing" ] || { say "rt.conf.5 lacks the keys:$missing"; return 1; }
    # rtinit(8) tells the systemd-free boot and where the rest of it is
    assert_in "$(cat "$TOP/docs/man/rtinit.8")" "init=/usr/sbin/rtinit"
    assert_in "$(cat "$TOP/docs/man/rtinit.8")" "docs/droplet.md"
    # rt.conf(5)'s examples are a valid conf.d
    mkdir conf.d
    awk '/^\.SH EXAMPLES/ { on = 1 } on && /^\.EE/ { n++; ex = 0 } on && ex { print > (n == 0 ? "conf.d/droplet.conf" : "conf.d/api.conf") } on && /^\.EX/ { ex = 1 }' \
        "$TOP/docs/man/rt.conf.5"
    sed -i -e 's/\\-/-/g' -e "s|^secrets = .*|secrets = $PWD/secrets.env|" conf.d/*.conf
    printf 'REDIS_PASSWORD=x\n' >secrets.env
    chmod 600 secrets.env
    for d in redis mq; do printf '[service]\nimage = %s\n[healthcheck]\ntcp = 1\n' $d >conf.d/$d.conf; done
    run "$RTCTL" config check --quiet --conf conf.d
    assert_rc 0
    assert_in "$err" "OK, 3 services"
}

# bash's completion, sourced, its function called as bash calls it
# (COMP_WORDS, COMP_CWORD), against a running rtinit.
complete_words() { # complete_words WORD... : COMPREPLY, one a line
    COMP_WORDS=("$@")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMP_LINE="${COMP_WORDS[*]}"
    COMP_POINT=${#COMP_LINE}
    COMPREPLY=()
    _rtctl
    printf '%s\n' "${COMPREPLY[@]}" | sort
}

test_bash_completion_of_verbs_options_services_and_images() {
    stack alpha "command = sh -c '$LOOP'" beta "command = sh -c '$LOOP'"
    bg_start
    # shellcheck source=../../tools/completion/rtctl.bash
    source "$TOP/tools/completion/rtctl.bash"
    local R=$PWD/root got
    got=$(complete_words "$RTCTL" --root "$R" "")
    [ "$got" = "$(verbs | sort)" ] || { say "verbs: $got"; return 1; }
    [ "$(complete_words "$RTCTL" --root "$R" lo)" = logs ]
    [ "$(complete_words "$RTCTL" --root "$R" re)" = "$(printf 'reboot\nreload\nrestart')" ]
    # services, from rtctl status; logs adds rtinit's own
    [ "$(complete_words "$RTCTL" --root "$R" restart "")" = "$(printf 'alpha\nbeta')" ]
    [ "$(complete_words "$RTCTL" --root "$R" logs "")" = "$(printf 'alpha\nbeta\nrtinit')" ]
    [ "$(complete_words "$RTCTL" --root "$R" logs -f alpha b)" = beta ]
    # an option's value is no operand: after -n 5, services again
    [ "$(complete_words "$RTCTL" --root "$R" logs -n 5 a)" = alpha ]
    [ "$(complete_words "$RTCTL" --root "$R" exec a)" = alpha ]
    # exec's second operand is the command: nothing offered
    [ -z "$(complete_words "$RTCTL" --root "$R" exec alpha "")" ]
    # images, from rtctl image ls; "bb:" split at the colon by bash
    [ "$(complete_words "$RTCTL" --root "$R" image rm "")" = bb:1 ]
    [ "$(complete_words "$RTCTL" --root "$R" run --rm b)" = bb:1 ]
    [ "$(complete_words "$RTCTL" --root "$R" image inspect bb :)" = 1 ]
    # subcommands, options (of the subcommand), and their values
    [ "$(complete_words "$RTCTL" --root "$R" image "")" = "$(printf 'gc\nimport\ninspect\nls\nmount\nrm\nunmount')" ]
    [ "$(complete_words "$RTCTL" --root "$R" config "")" = check ]
    got=$(complete_words "$RTCTL" --root "$R" logs --)
    for o in --follow --lines --since --until --timestamps --no-timestamps --no-color --no-prefix --root --conf; do
        grep -qx -- "$o" <<<"$got" || { say "logs -- lacks $o: $got"; return 1; }
    done
    [ "$(complete_words "$RTCTL" --root "$R" image rm --f)" = --force ]
    [ "$(complete_words "$RTCTL" --root "$R" run --net "")" = "$(printf 'bridge\nhost\nnone')" ]
    [ "$(complete_words "$RTCTL" --root "$R" help lo)" = logs ]
    [ "$(complete_words "$RTCTL" --)" = "$(printf -- '--conf\n--help\n--root\n--version')" ]
    mkdir -p adir
    [ "$(complete_words "$RTCTL" --conf ad)" = adir ]
    bg_stop
}

# Services come from `rtctl status --json`, read by jq, by python3 without
# jq, and by bash alone without either; never from the table, which an
# rtctl here fakes (and whose columns a long name would widen).
test_bash_completion_takes_services_from_status_json() {
    local long=a-service-name-as-long-as-conf-d-allows-sixty-three-bytes-in-al
    [ ${#long} = 63 ]
    stack alpha "command = sh -c '$LOOP'" "$long" "command = sh -c '$LOOP'"
    bg_start
    # shellcheck source=../../tools/completion/rtctl.bash
    source "$TOP/tools/completion/rtctl.bash"
    local R=$PWD/root want py
    mkdir bin nojq bare
    cat >bin/rtctl <<EOF
#!/bin/bash
echo "\$*" >>$PWD/calls
json= st=
for a; do [ "\$a" = status ] && st=1; [ "\$a" = --json ] && json=1; done
if [ -n "\$st" ] && [ -z "\$json" ]; then printf 'SERVICE  STATE\nfrom-the-table  running\n'; exit 0; fi
exec $RTCTL "\$@"
EOF
    chmod +x bin/rtctl
    want=$(printf '%s\n' alpha "$long" | sort)
    [ "$(complete_words "$PWD/bin/rtctl" --root "$R" restart "")" = "$want" ]
    grep -qx -- "--root $R status --json" calls
    ! grep -qx -- "--root $R status" calls
    [ "$(complete_words "$PWD/bin/rtctl" --root "$R" logs a)" = "$want" ]
    # without jq: python3; without either: bash
    py=$(python3 -c 'import sys; print(sys.executable)')
    ln -s "$(command -v sort)" nojq/sort
    ln -s "$py" nojq/python3
    ln -s "$(command -v sort)" bare/sort
    [ "$(PATH=$PWD/nojq complete_words "$PWD/bin/rtctl" --root "$R" restart "")" = "$want" ]
    [ "$(PATH=$PWD/bare complete_words "$PWD/bin/rtctl" --root "$R" restart "")" = "$want" ]
    [ "$(PATH=$PWD/bare complete_words "$PWD/bin/rtctl" --root "$R" stop a-)" = "$long" ]
    # rtinit not running: nothing, and no error
    bg_stop
    [ -z "$(complete_words "$PWD/bin/rtctl" --root "$R" restart "")" ]
    [ -z "$(PATH=$PWD/bare complete_words "$PWD/bin/rtctl" --root "$R" restart "")" ]
}

# --- rtctl logs ---

# Two services that each print N numbered lines as fast as they can, at
# the same moment (once ctl/go exists), with logs rotated every 64 KiB.
chatty_pair() {
    local n=$1
    mkdir -p ctl && chmod 777 ctl
    stack alpha "restart = no
volumes = $PWD/ctl:/ctl
command = sh -c 'while [ ! -e /ctl/go ]; do sleep 0.05; done; i=0; while [ \$i -lt $n ]; do echo alpha \$i; i=\$((i+1)); done; $LOOP'" \
        beta "restart = no
volumes = $PWD/ctl:/ctl
command = sh -c 'while [ ! -e /ctl/go ]; do sleep 0.05; done; i=0; while [ \$i -lt $n ]; do echo beta \$i; i=\$((i+1)); done; $LOOP'"
    printf '[logging]\nmax_size = 64K\nmax_files = 50\n' >>conf.d/droplet.conf
}

# check_lines FILE SERVICE N: SERVICE's lines 0..N-1 in FILE, each once,
# in order
check_lines() {
    local got
    got=$(awk -v s="$2" '$(NF - 1) == s { print $NF }' "$1")
    [ "$(wc -l <<<"$got")" = "$3" ] || { say "$2: $(wc -l <<<"$got") lines, expected $3"; return 1; }
    [ "$got" = "$(seq 0 $(($3 - 1)))" ] ||
        { say "$2: lost, doubled or out of order: $(diff <(seq 0 $(($3 - 1))) - <<<"$got" | head -n 5)"; return 1; }
}

# check_time_order FILE FIELD: the stamps in FIELD never go back
check_time_order() {
    awk -v f="$2" '{ if ($f < prev) { print NR ": " $f " after " prev; bad = 1; exit } prev = $f } END { exit bad }' "$1" ||
        { say "not in time order"; return 1; }
}

test_logs_follows_two_services_across_rotations_with_no_line_lost_or_twice_in_time_order() {
    local n=20000
    chatty_pair $n
    bg_start
    wait_until 10 grep -q "beta: started" out.txt
    # no log yet (nothing printed): followed from its first line
    [ ! -e root/log/alpha.log ] || { say "$(cat root/log/alpha.log)"; return 1; }
    "$RTCTL" --root "$PWD/root" --conf conf.d logs -f -n 0 alpha beta >follow.txt 2>follow.err &
    local f=$!
    at_exit "kill $f 2>/dev/null"
    sleep 0.5
    touch ctl/go
    wait_until 60 grep -q "beta $((n - 1))$" follow.txt
    wait_until 10 grep -q "alpha $((n - 1))$" follow.txt
    sleep 0.5
    kill $f
    wait $f 2>/dev/null || true
    [ ! -s follow.err ] || { say "stderr: $(cat follow.err)"; return 1; }
    # rotated, several times each, while followed
    [ -e root/log/alpha.log.3 ] && [ -e root/log/beta.log.3 ] || { say "$(ls root/log)"; return 1; }
    # each line after its service's name; no colour into a file
    grep -qE '^alpha \| [0-9T:.Z-]+ alpha 0$' follow.txt || { say "$(head -n 3 follow.txt)"; return 1; }
    grep -qE '^beta  \| [0-9T:.Z-]+ beta 0$' follow.txt
    ! grep -q $'\033' follow.txt
    check_lines follow.txt alpha $n
    check_lines follow.txt beta $n
    check_time_order follow.txt 3
    # interleaved, not one service then the other
    local switches
    switches=$(awk '$1 != prev { s++ } { prev = $1 } END { print s }' follow.txt)
    [ "$switches" -gt 10 ] || { say "only $switches switches between the services"; return 1; }
    # the same lines again, from the files: all of both, merged
    run "$RTCTL" --root "$PWD/root" logs --no-prefix alpha beta
    assert_rc 0
    grep -v ' rtinit' <<<"$out" >all.txt || true
    check_lines all.txt alpha $n
    check_lines all.txt beta $n
    check_time_order all.txt 1
    bg_stop
}

# Two services that print a line each time a file of theirs appears in
# ctl/ (alpha on a1, a2; beta on b1), and are idle otherwise.
on_cue_pair() {
    mkdir -p ctl && chmod 777 ctl
    local wait='while [ ! -e /ctl/$1 ]; do sleep 0.02; done'
    stack alpha "restart = no
volumes = $PWD/ctl:/ctl
command = sh -c 'cue() { $wait; }; echo alpha up; cue a1; echo alpha 1; cue a2; echo alpha 2; echo alpha 3; echo alpha 4; $LOOP'" \
        beta "restart = no
volumes = $PWD/ctl:/ctl
command = sh -c 'cue() { $wait; }; echo beta up; cue b1; echo beta 1; $LOOP'"
}

# ms: the wall clock in milliseconds; stamp_in MS: the stamp of then
ms() { echo $(($(date +%s%N) / 1000000)); }
stamp_at() { date -u -d "@$(($1 / 1000)).$(printf %03d $(($1 % 1000)))" +%Y-%m-%dT%H:%M:%S.%3NZ; }
sleep_to() { local d=$(($1 - $(ms))); [ "$d" -le 0 ] || sleep "$((d / 1000)).$(printf %03d $((d % 1000)))"; }

test_logs_follow_until_prints_the_lines_held_at_until_before_it_ends() {
    on_cue_pair
    bg_start
    wait_until 10 grep -q "alpha up$" root/log/alpha.log
    wait_until 10 grep -q "beta up$" root/log/beta.log
    # until T: beta writes its last line 600 ms before T, alpha lines 400
    # ms before; alpha's wait for beta (busy until 1 s after its line)
    # outlasts T, and with it the 300 ms that -f --until used to follow
    # past T: those lines were lost
    local t0 until t
    t0=$(ms)
    until=$((t0 + 3000))
    "$RTCTL" --root "$PWD/root" logs -f -n 0 --until "$(stamp_at $until)" alpha beta >follow.txt 2>follow.err &
    local f=$!
    at_exit "kill $f 2>/dev/null"
    sleep_to $((until - 600))
    touch ctl/b1
    sleep_to $((until - 400))
    touch ctl/a1 ctl/a2
    # it ends by itself, at most the longest wait (5 s) past T
    timeout 10 tail --pid=$f -f /dev/null || { say "logs -f --until did not end"; return 1; }
    t=$(($(ms) - until))
    wait $f || { say "exit status $?: $(cat follow.err)"; return 1; }
    say "  ended $t ms after --until"
    [ ! -s follow.err ] || { say "stderr: $(cat follow.err)"; return 1; }
    [ "$t" -lt 5500 ] || { say "ended $t ms after --until"; return 1; }
    # exactly the files' lines between the start and T, in time order
    local want
    want=$(cat root/log/alpha.log root/log/beta.log | sort -s -k1,1 |
        awk -v a="$(stamp_at "$t0")" -v b="$(stamp_at $until)" '$1 > a && $1 <= b && $2 != "rtinit:"' | sed 's/^[^ ]* //')
    grep -q "alpha 2" <<<"$want" ||
        { say "alpha's lines came after --until (a slow machine?): $(cat root/log/alpha.log)"; return 1; }
    [ "$(sed 's/^[a-z]* *| [^ ]* //' follow.txt)" = "$want" ] ||
        { say "printed: $(cat follow.txt)"; say "expected: $want"; return 1; }
    check_time_order follow.txt 3
    bg_stop
}

test_logs_follow_prints_a_line_stamped_ahead_of_the_clock_at_once() {
    on_cue_pair
    bg_start
    wait_until 10 grep -q "alpha up$" root/log/alpha.log
    wait_until 10 grep -q "beta up$" root/log/beta.log
    "$RTCTL" --root "$PWD/root" logs -f -n 0 alpha beta >follow.txt 2>follow.err &
    local f=$!
    at_exit "kill $f 2>/dev/null"
    sleep 1.5
    # what rtinit writes with a clock an hour ahead, which is then stepped
    # back: a line stamped an hour after every line that follows it. It
    # used to wait for beta (behind it, idle) until the clock caught up.
    local t0 t
    t0=$(ms)
    echo "$(stamp_at $((t0 + 3600000))) from the future" >>root/log/alpha.log
    wait_until 5 grep -q "from the future" follow.txt
    t=$(($(ms) - t0))
    say "  printed after $t ms"
    [ "$t" -lt 2000 ] || { say "a line stamped an hour ahead printed after $t ms"; return 1; }
    # the lines after it (stamped before it, necessarily) are printed too
    touch ctl/a1 ctl/b1
    wait_until 5 grep -q "alpha 1$" follow.txt
    wait_until 5 grep -q "beta 1$" follow.txt
    kill $f
    wait $f 2>/dev/null || true
    [ ! -s follow.err ] || { say "stderr: $(cat follow.err)"; return 1; }
    bg_stop
}

test_logs_n_since_until_reach_into_rotated_files() {
    local n=6000
    chatty_pair $n
    bg_start
    touch ctl/go
    wait_until 30 grep -q "alpha $((n - 1))$" root/log/alpha.log
    wait_until 30 grep -q "beta $((n - 1))$" root/log/beta.log
    [ -e root/log/alpha.log.2 ] || { say "$(ls root/log)"; return 1; }
    # -n: the last N of each service, merged
    run "$RTCTL" --root "$PWD/root" logs -n 3 alpha beta
    assert_rc 0
    [ "$(wc -l <<<"$out")" = 6 ] || { say "$out"; return 1; }
    [ "$(grep -c '^alpha | ' <<<"$out")" = 3 ] && [ "$(grep -c '^beta  | ' <<<"$out")" = 3 ]
    assert_in "$out" "alpha $((n - 1))"
    assert_in "$out" "beta $((n - 3))"
    # more than the current file holds, in order
    run "$RTCTL" --root "$PWD/root" logs -n $((n - 10)) --no-prefix alpha
    printf '%s\n' "$out" >a.txt
    [ "$(head -n 1 a.txt | awk '{ print $NF }')" = 10 ] || { say "$(head -n 2 a.txt)"; return 1; }
    [ "$(wc -l <a.txt)" = $((n - 10)) ]
    # --since and --until: exactly the lines whose stamps are in between,
    # counted from the files themselves, across the rotated ones
    cat $(ls -r root/log/alpha.log.* | sort -t. -k3,3nr) root/log/alpha.log >alpha.all
    local since until want
    since=$(sed -n 1000p alpha.all | cut -d' ' -f1)
    until=$(sed -n 5000p alpha.all | cut -d' ' -f1)
    want=$(awk -v a="$since" -v b="$until" '$1 >= a && $1 <= b' alpha.all | wc -l)
    run "$RTCTL" --root "$PWD/root" logs --since "$since" --until "$until" alpha
    assert_rc 0
    [ "$(wc -l <<<"$out")" = "$want" ] || { say "$(wc -l <<<"$out") lines, expected $want"; return 1; }
    [ "$(head -n 1 <<<"$out" | cut -d' ' -f1)" = "$since" ]
    [ "$(tail -n 1 <<<"$out" | cut -d' ' -f1)" = "$until" ]
    # -n with --until: the last N before it
    run "$RTCTL" --root "$PWD/root" logs -n 5 --until "$until" alpha
    [ "$(wc -l <<<"$out")" = 5 ] && [ "$(tail -n 1 <<<"$out" | cut -d' ' -f1)" = "$until" ] || { say "$out"; return 1; }
    # a duration: everything was written within the last 10 minutes
    run "$RTCTL" --root "$PWD/root" logs --since 10m --no-timestamps alpha
    [ "$(grep -c '^alpha [0-9]*$' <<<"$out")" = "$n" ] || { say "$(head -n 3 <<<"$out")"; return 1; }
    run "$RTCTL" --root "$PWD/root" logs --until 10m alpha beta
    assert_rc 0
    [ -z "$out" ] || { say "$out"; return 1; }
    # a typo gets the service meant; rtinit's own log is a service here
    run "$RTCTL" --root "$PWD/root" --conf conf.d logs alpah
    assert_rc 1
    assert_in "$err" "no service 'alpah'"
    assert_in "$err" "(did you mean 'alpha'?)"
    # every service of conf.d, without a name
    run "$RTCTL" --root "$PWD/root" --conf conf.d logs -n 1
    assert_rc 0
    [ "$(wc -l <<<"$out")" = 2 ] || { say "$out"; return 1; }
    run "$RTCTL" --root "$PWD/root" logs -n 1 rtinit
    assert_rc 0
    bg_stop
}
