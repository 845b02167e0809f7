# rtctl config check and rtinit --check, as a user runs them.

test_shipped_stack_checks_in_dependency_order() {
    run "$RTCTL" config check --conf "$SHIPPED"
    assert_rc 0
    assert_in "$out" "#   2. api"
    # gateway starts beside the API, as in the Docker setup
    assert_in "$out" "#   1. gateway mq redis search sshd"
    assert_in "$err" "conf.d: OK, 6 services"
}

test_shipped_sshd_is_a_key_only_host_service() {
    # the way into the droplet: on the host, as root, said so; key-only
    # whatever the droplet's sshd_config says; sessions kept at a restart
    run "$RTCTL" config check --conf "$SHIPPED"
    assert_rc 0
    local sshd
    sshd=$(sed -n '/^# .*sshd.conf (stage 1)$/,/^start_period/p' <<<"$out")
    assert_in "$sshd" "# host service: in no container; runs on the host as root, with all of root's privileges"
    assert_in "$sshd" "host = true"
    for o in PasswordAuthentication=no KbdInteractiveAuthentication=no PermitRootLogin=prohibit-password; do
        assert_in "$sshd" "-o $o"
    done
    assert_in "$sshd" "kill_mode = process"
    assert_in "$sshd" "tcp = localhost:22"
}

test_shipped_stack_keeps_internal_ports_private() {
    run "$RTCTL" config check --conf "$SHIPPED"
    assert_rc 0
    assert_in "$out" "ports = 127.0.0.1:8001:8001"
    assert_in "$out" "ports = 127.0.0.1:15672:15672"
    for p in 6379 5672 7700 3001; do
        assert_not_in "$out" "ports = $p:"
    done
    assert_not_in "$err" "usual port"
}

test_shipped_stack_keeps_secrets_off_command_lines() {
    # with every ${VAR} defined, as on the droplet: no secret in any argv
    cp -r "$SHIPPED" conf.d
    grep -ohE '\$\{[A-Za-z_][A-Za-z0-9_]*' conf.d/*.conf | cut -c3- | sort -u | sed 's/$/=v4lue-not-printed/' >conf.d/secrets.env
    chmod 600 conf.d/secrets.env
    sed -i 's|^secrets = .*|secrets = secrets.env|' conf.d/droplet.conf
    run "$RTCTL" config check --conf conf.d
    assert_rc 0
    assert_in "$err" "conf.d: OK, 6 services, 0 warnings"
    assert_not_in "$err" "process's arguments"
    assert_not_in "$out" "requirepass\","
    assert_not_in "$out" "v4lue-not-printed"
    # redis reads it from its environment, on its standard input
    assert_in "$out" 'environment = REDIS_PASSWORD=${REDIS_PASSWORD}'
    assert_in "$out" '"exec redis-server - --appendonly yes <<EOF\nrequirepass \"$REDIS_PASSWORD\"\nEOF"'
}

test_global_options_before_or_after_the_command() {
    run "$RTCTL" --conf "$SHIPPED" config check
    local a=$out
    run "$RTCTL" config check --conf "$SHIPPED"
    [ "$a" = "$out" ] || { say "outputs differ"; return 1; }
    run "$RTCTL" --root /tmp/x config check --conf "$SHIPPED/"
    assert_rc 0
    assert_in "$out" "# $SHIPPED/droplet.conf"
    assert_not_in "$out" "conf.d//"
}

test_quiet_prints_only_problems() {
    run "$RTCTL" config check --quiet --conf "$SHIPPED"
    assert_rc 0
    [ -z "$out" ] || { say "stdout not empty"; return 1; }
    assert_in "$err" "OK, 6 services"
}

test_rtinit_check_matches_rtctl_but_needs_the_images() {
    # rtinit --check asks whether rtinit would run conf.d here: without an
    # image store every image is missing, an error (as at a reload);
    # config check, there, checks conf.d alone (supervisor.sh has both
    # with a store, where they agree)
    run "$RTCTL" config check --root "$PWD/root" --conf "$SHIPPED"
    assert_rc 0
    local a=$out b=$err
    run "$RTINIT" --check --root "$PWD/root" --conf "$SHIPPED"
    assert_rc 1
    [ -z "$out" ] || { say "plan printed despite errors"; return 1; }
    assert_in "$err" "$SHIPPED/redis.conf:7: image: redis:7-alpine is not in the image store; import it with rtctl image import"
    assert_in "$err" "$SHIPPED: 5 errors, 1 warning"
    # the same problems otherwise
    [ "$(grep -v ': image: ' <<<"$err" | grep -v '^/.*: [0-9]* errors')" = "$(grep -v 'OK, 6 services' <<<"$b")" ] ||
        { say "config check: $b"; say "rtinit --check: $err"; return 1; }
    [ -n "$a" ]
}

test_errors_exit_1_and_print_nothing_on_stdout() {
    mkconf web "[service]
image = nginx
ports = 80"
    run "$RTCTL" config check --conf conf.d
    assert_rc 1
    [ -z "$out" ] || { say "plan printed despite errors"; return 1; }
    assert_in "$err" "conf.d/web.conf:3: ports: '80': expected [HOSTIP:]HOST:CONTAINER"
    assert_in "$err" "conf.d: 1 error, 0 warnings"
}

test_missing_conf_dir() {
    run "$RTCTL" config check --conf /nonexistent/conf.d
    assert_rc 1
    assert_in "$err" "rtctl: error: /nonexistent/conf.d: No such file or directory"
}

test_usage_errors_exit_2() {
    run "$RTCTL" confg check
    assert_rc 2
    assert_in "$err" "unknown command 'confg' (did you mean 'config'?)"
    run "$RTCTL" config chek
    assert_rc 2
    assert_in "$err" "unknown subcommand 'config chek'"
    run "$RTCTL" config check --frobnicate
    assert_rc 2
    assert_in "$err" "unknown option '--frobnicate'"
    run "$RTCTL" config check --conf
    assert_rc 2
    assert_in "$err" "option '--conf' needs a value"
    run "$RTCTL" config check extra
    assert_rc 2
    run "$RTCTL"
    assert_rc 2
    assert_in "$err" "usage: rtctl"
    run "$RTINIT" --bogus
    assert_rc 2
}

test_help_and_version() {
    run "$RTCTL" help
    assert_rc 0
    assert_in "$out" "config"
    run "$RTCTL" --version
    assert_rc 0
    assert_in "$out" "rtctl "
    run "$RTCTL" config check --help
    assert_rc 0
    assert_in "$out" "usage: rtctl config check"
    run "$RTINIT" --version
    assert_rc 0
}

test_secret_values_never_printed() {
    mkdir -p conf.d
    printf 'REDIS_PASSWORD=correct-horse-battery\n' >conf.d/secrets.env
    chmod 600 conf.d/secrets.env
    printf 'TOKEN=staple-9f8e7d\n' >conf.d/api.env
    chmod 600 conf.d/api.env
    printf '[droplet]\nsecrets = secrets.env\n' >conf.d/droplet.conf
    printf '[service]\nimage = r\ncommand = redis-server --requirepass ${REDIS_PASSWORD}\nenv_file = api.env\nenvironment = API_KEY=literal-key-123\n' >conf.d/redis.conf
    run "$RTCTL" config check --conf conf.d
    assert_rc 0
    for secret in correct-horse-battery staple-9f8e7d literal-key-123; do
        assert_not_in "$out" "$secret"
        assert_not_in "$err" "$secret"
    done
    assert_in "$out" '"${REDIS_PASSWORD}"'
    assert_in "$out" "API_KEY=<redacted>"
    assert_in "$err" "API_KEY looks like a secret"
    # on a command line, the value would be in ps: a warning, by name only
    assert_in "$err" "conf.d/redis.conf:3: command: warning: \${REDIS_PASSWORD} from [droplet] secrets ends up in the process's arguments"
    # the same file readable by others is refused
    chmod 644 conf.d/secrets.env
    run "$RTCTL" config check --conf conf.d
    assert_rc 1
    assert_in "$err" "conf.d/droplet.conf:2: secrets: conf.d/secrets.env is readable by users other than root (mode 0644"
    assert_not_in "$err" "correct-horse-battery"
}

test_config_check_never_hangs_on_fifos() {
    mkdir -p conf.d
    mkfifo conf.d/env.fifo conf.d/x.conf
    printf '[service]\nimage = a\nenv_file = env.fifo\nseccomp = env.fifo\n' >conf.d/svc.conf
    run timeout 10 "$RTCTL" config check --conf conf.d
    assert_rc 1
    assert_in "$err" "conf.d/x.conf:0: cannot read: not a regular file"
    assert_in "$err" "conf.d/svc.conf:4: seccomp: conf.d/env.fifo: not a regular file"
    assert_in "$err" "conf.d/svc.conf:3: env_file: conf.d/env.fifo: not a regular file"
}

test_make_install_keeps_existing_files() {
    local dest=$PWD/dest
    mkdir -p "$dest/etc/rt/conf.d"
    echo "# mine" >"$dest/etc/rt/conf.d/redis.conf"
    # the plain build: an ASan build cannot be relinked by a plain make
    run make -s -C "$TOP" install PREFIX=/usr DESTDIR="$dest" BUILD=build
    assert_rc 0
    [ -x "$dest/usr/sbin/rtinit" ] && [ -x "$dest/usr/sbin/rtctl" ] || { say "binaries not installed"; return 1; }
    [ "$(cat "$dest/etc/rt/conf.d/redis.conf")" = "# mine" ] || { say "overwrote redis.conf"; return 1; }
    [ -f "$dest/etc/rt/conf.d/api.conf" ] || { say "api.conf not installed"; return 1; }
    assert_in "$out" "kept existing"
    # the man pages where man finds them, the completion where bash's
    # bash-completion loads it, the documents the man pages point to
    local f
    for f in share/man/man8/rtctl.8 share/man/man8/rtinit.8 share/man/man5/rt.conf.5 \
        share/bash-completion/completions/rtctl share/doc/rt/droplet.md share/doc/rt/conf.md; do
        [ -f "$dest/usr/$f" ] || { say "$f not installed: $(cd "$dest" && find . -type f)"; return 1; }
    done
    [ "$(MANPATH="$dest/usr/share/man" man -w rtctl)" = "$dest/usr/share/man/man8/rtctl.8" ]
    [ "$(MANPATH="$dest/usr/share/man" man -w 5 rt.conf)" = "$dest/usr/share/man/man5/rt.conf.5" ]
    run bash -c "source '$dest/usr/share/bash-completion/completions/rtctl' && complete -p rtctl"
    assert_in "$out" "complete -F _rtctl rtctl"
}

test_non_root_check_without_store_access() {
    # A user who may not read the image store still gets conf.d checked.
    local d
    d=$(mktemp -d /tmp/rt-nonroot.XXXXXX)
    chmod 755 "$d"
    cp "$RTCTL" "$d/rtctl"
    cp -r "$SHIPPED" "$d/conf.d"
    mkdir -p "$d/root/state/images"
    chmod 700 "$d/root/state/images"
    chmod -R a+rX "$d/conf.d" "$d/rtctl"
    run su nobody -s /bin/sh -c "$d/rtctl --root $d/root config check --quiet --conf $d/conf.d"
    rm -rf "$d"
    assert_rc 0
    assert_in "$err" "Permission denied; images are not checked (run as root to check them)"
    assert_in "$err" "OK, 6 services"
}
