#!/bin/sh
# images/demo/users.sh ROOT NAME:UID:HOME... - the image's service users,
# made by build.sh's mmdebstrap --essential-hook, before the service's
# packages are installed: their maintainer scripts (adduser --system)
# then find the user there and keep it, so each uid is fixed by the
# recipe instead of being whichever system uid came next (a uid that a
# host account may have, see config/check.c). The group has the same id.
set -eu
root=$1
shift
for u in "$@"; do
    name=${u%%:*} rest=${u#*:}
    id=${rest%%:*} home=${rest#*:}
    if grep -q "^$name:" "$root/etc/passwd" || grep -q "^[^:]*:[^:]*:$id:" "$root/etc/passwd" "$root/etc/group"; then
        echo "users.sh: $name or uid/gid $id already exists in $root" >&2
        exit 1
    fi
    echo "$name:x:$id:" >>"$root/etc/group"
    echo "$name:x:$id:$id::$home:/usr/sbin/nologin" >>"$root/etc/passwd"
    echo "$name:*:19000:0:99999:7:::" >>"$root/etc/shadow"
    [ ! -f "$root/etc/gshadow" ] || echo "$name:!::" >>"$root/etc/gshadow"
done
