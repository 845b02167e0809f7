# The documentation keeps up with the code.

test_every_conf_key_is_documented() {
    local keys missing=""
    # (digits too: ipv4)
    keys=$(grep -oE '^\s*\[K_[A-Z0-9_]+\] = \{"[a-z0-9_]+"' "$TOP"/config/*.c | sed -E 's/.*"([a-z0-9_]+)"/\1/' | sort -u)
    [ -n "$keys" ] || { say "no keys found in config/*.c"; return 1; }
    for k in $keys; do
        grep -qF "#### \`$k\`" "$TOP/docs/conf.md" || missing="$missing $k"
    done
    [ -z "$missing" ] || { say "undocumented keys:$missing"; return 1; }
}

test_readme_commands_exist() {
    # The two commands a newcomer runs must name things that exist.
    assert_in "$(head -n 25 "$TOP/README.md")" "bash tools/deps.sh && make demo"
    assert_in "$(head -n 25 "$TOP/README.md")" "bash tools/deps.sh && make check"
    grep -q '^demo:' "$TOP/Makefile" && grep -q '^check:' "$TOP/Makefile" && [ -f "$TOP/tools/deps.sh" ]
}

test_every_documented_example_is_valid() {
    # Each key's "Example:" line in docs/conf.md, placed in its section of
    # a minimal conf.d, must pass `config check` (warnings allowed).
    local n=0 bad=""
    while IFS=$'\t' read -r section key example; do
        rm -rf conf.d && mkdir conf.d
        case "$section" in
            droplet|volume|network|logging|metrics)
                printf '[%s]\n%s\n' "$section" "$example" >conf.d/droplet.conf
                printf '[service]\nimage = x\n' >conf.d/svc.conf ;;
            service)
                case "$key" in
                    # a host service has no image, and a command
                    host) printf '[service]\n%s\ncommand = /bin/true\n' "$example" >conf.d/svc.conf ;;
                    kill_mode) printf '[service]\nhost = true\ncommand = /bin/true\n%s\n' "$example" >conf.d/svc.conf ;;
                    *)
                        printf '[service]\n%s\n' "$example" >conf.d/svc.conf
                        [ "$key" = image ] || printf 'image = x\n' >>conf.d/svc.conf ;;
                esac ;;
            healthcheck)
                printf '[service]\nimage = x\n[healthcheck]\n%s\n' "$example" >conf.d/svc.conf
                case "$key" in http|tcp|exec) ;; *) printf 'tcp = 1\n' >>conf.d/svc.conf ;; esac ;;
        esac
        # ${VAR} in an example gets a value from a secrets file
        local vars
        vars=$(grep -oE '\$\{[A-Za-z_][A-Za-z0-9_]*' <<<"$example" | cut -c3- || true)
        if [ -n "$vars" ] && [ ! -s conf.d/droplet.conf ]; then
            printf '%s=x\n' $vars >conf.d/secrets.env
            chmod 600 conf.d/secrets.env
            printf '[droplet]\nsecrets = secrets.env\n' >conf.d/droplet.conf
        fi
        # keys that point at other services or files get what they name
        case "$key" in
            depends_on) for d in search mq redis; do printf '[service]\nimage = x\n[healthcheck]\ntcp = 1\n' >conf.d/$d.conf; done ;;
            seccomp) : ;;
        esac
        n=$((n + 1))
        if ! "$RTCTL" config check --quiet --conf conf.d >/dev/null 2>err.txt; then
            bad="$bad"$'\n'"[$section] $example: $(grep -v '^conf.d:' err.txt | head -n 2)"
        fi
    done < <(awk '
        /^### \[/ { gsub(/[#\[\] ]/, ""); section = $0 }
        /^## Service files: \[service\]/ { section = "service" }
        /^## Service files: \[healthcheck\]/ { section = "healthcheck" }
        /^#### `/ { key = $2; gsub(/`/, "", key) }
        /^Example: `/ { ex = $0; sub(/^Example: `/, "", ex); sub(/`$/, "", ex); print section "\t" key "\t" ex }
    ' "$TOP/docs/conf.md")
    [ "$n" -ge 40 ] || { say "only $n examples found"; return 1; }
    [ -z "$bad" ] || { say "examples that fail:$bad"; return 1; }
}

test_every_control_verb_is_documented() {
    # lib/proto.c's verbs table, each in docs/protocol.md's table of verbs
    local verbs missing=""
    verbs=$(grep -oE '\[PV_[A-Z]+\] = \{"[a-z]+"' "$TOP/lib/proto.c" | sed -E 's/.*"([a-z]+)"/\1/')
    [ "$(wc -w <<<"$verbs")" -ge 12 ] || { say "verbs not found in lib/proto.c: $verbs"; return 1; }
    for v in $verbs; do
        grep -qE "^\| (\`[a-z]+\`, )*\`$v\`" "$TOP/docs/protocol.md" || missing="$missing $v"
    done
    [ -z "$missing" ] || { say "undocumented verbs:$missing"; return 1; }
}
