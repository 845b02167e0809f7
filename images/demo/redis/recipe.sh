# images/demo/redis/recipe.sh - rt-demo/redis: Debian 12's redis-server,
# in the shape of the redis:7-alpine image the shipped conf.d/redis.conf
# names: user redis, data in /data (the working directory and a volume),
# sh and redis-cli for the command and the health check of redis.conf.
# (Sourced by images/demo/build.sh; see docs/demo.md.)

PACKAGES=(redis-server)
USERS=(redis:901:/data)

customize() {
    local root=$1
    # Debian's own configuration and its log and run directories are not
    # used: redis.conf gives the configuration on standard input.
    rm -rf "$root/etc/redis" "$root/var/log/redis" "$root/var/lib/redis"
    install -d -o 901 -g 901 -m 0750 "$root/data"
}

# Cmd as the alpine image's; the shipped redis.conf replaces it by
# `redis-server -` with the password read from its standard input.
CONFIG='{
  "User": "redis",
  "WorkingDir": "/data",
  "Cmd": ["redis-server", "--appendonly", "yes"],
  "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
  "ExposedPorts": {"6379/tcp": {}},
  "Volumes": {"/data": {}},
  "Healthcheck": {"Test": ["CMD-SHELL", "redis-cli ping | grep -q PONG"],
                  "Interval": 30000000000, "Timeout": 10000000000, "Retries": 3}
}'
