# images/demo/gateway/recipe.sh - rt-demo/gateway: Debian 12's nginx as
# the HTTP gateway in front of the API, a stand-in for Kong (no Debian
# package), run as its own non-root user, with its configuration
# (gateway/nginx.conf) in the image. (Sourced by images/demo/build.sh;
# see docs/demo.md.)

PACKAGES=(nginx-light)
USERS=(nginx:903:/nonexistent)

customize() {
    local root=$1
    # Debian's sites, snippets, module links, default page and log
    # directory are not used: only its mime.types and our nginx.conf.
    find "$root/etc/nginx" -mindepth 1 -maxdepth 1 ! -name mime.types -exec rm -rf {} +
    rm -rf "$root/var/log/nginx" "$root/var/www" "$root/usr/share/nginx/html"
    install -m 0644 nginx.conf "$root/etc/nginx/nginx.conf"
}

# nginx stops gracefully on SIGQUIT (finishing the requests in flight),
# as Kong's nginx does; SIGTERM is its fast stop.
CONFIG='{
  "User": "nginx",
  "WorkingDir": "/",
  "Cmd": ["nginx", "-c", "/etc/nginx/nginx.conf"],
  "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
  "ExposedPorts": {"8000/tcp": {}, "8001/tcp": {}},
  "StopSignal": "SIGQUIT"
}'
