# images/demo/mq/recipe.sh - rt-demo/mq: Debian 12's rabbitmq-server with
# the management plugin, in the shape of the rabbitmq:3-management-alpine
# image the shipped conf.d/mq.conf names: user rabbitmq, data and the
# Erlang cookie in /var/lib/rabbitmq (its home, a volume), the default
# user, password and vhost from RABBITMQ_DEFAULT_USER, _PASS and _VHOST
# (RabbitMQ reads them itself on its first start), logs on standard output.
# (Sourced by images/demo/build.sh; see docs/demo.md.)

PACKAGES=(rabbitmq-server)
USERS=(rabbitmq:902:/var/lib/rabbitmq)

customize() {
    local root=$1
    # The plugin is enabled offline, as `rabbitmq-plugins enable
    # --offline rabbitmq_management` writes it.
    printf '[rabbitmq_management].\n' >"$root/etc/rabbitmq/enabled_plugins"
    # The cookie the package's postinst made would be the same secret in
    # every container of this image: RabbitMQ makes its own in the volume.
    rm -f "$root/var/lib/rabbitmq/.erlang.cookie"
    rm -rf "$root/var/lib/rabbitmq/mnesia" "$root/var/log/rabbitmq"/*
}

# The server's own script, not Debian's /usr/sbin wrapper, which sends
# the log to /var/log/rabbitmq/startup_log instead of standard output.
CONFIG='{
  "User": "rabbitmq",
  "WorkingDir": "/var/lib/rabbitmq",
  "Cmd": ["/usr/lib/rabbitmq/bin/rabbitmq-server"],
  "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
          "RABBITMQ_LOGS=-"],
  "ExposedPorts": {"5672/tcp": {}, "15672/tcp": {}},
  "Volumes": {"/var/lib/rabbitmq": {}},
  "Healthcheck": {"Test": ["CMD", "rabbitmq-diagnostics", "-q", "ping"],
                  "Interval": 30000000000, "Timeout": 30000000000, "Retries": 3,
                  "StartPeriod": 60000000000}
}'
