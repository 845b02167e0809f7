#!/usr/bin/env bash
# tools/sshkeys.sh KEYDIR [ROOT] - the SSH keys of a droplet built here
# (the QEMU droplet's disk, a test), made once at build time:
#
#   KEYDIR/ssh_host_ed25519_key{,.pub}  the droplet's host key
#   KEYDIR/id_ed25519{,.pub}            the operator's key, to log in as root
#   KEYDIR/authorized_keys              id_ed25519.pub
#   KEYDIR/known_hosts                  the host key, for 127.0.0.1 and
#                                       localhost on any port, so that
#                                       ssh -o UserKnownHostsFile=KEYDIR/known_hosts
#                                       -o StrictHostKeyChecking=yes checks it
#
# Keys already in KEYDIR are kept. With ROOT, a root file system being
# built, they are installed into it where Debian's sshd looks:
# ROOT/etc/ssh/ssh_host_ed25519_key (0600) and .pub, and
# ROOT/root/.ssh/authorized_keys (0600, in a 0700 directory).
# The private keys never leave KEYDIR and ROOT.
set -euo pipefail
[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: $0 KEYDIR [ROOT]" >&2; exit 2; }
keys=$1
root=${2:-}
umask 077
mkdir -p "$keys"
[ -f "$keys/ssh_host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N '' -C "rt droplet host key" -f "$keys/ssh_host_ed25519_key"
[ -f "$keys/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C "rt droplet operator" -f "$keys/id_ed25519"
cp "$keys/id_ed25519.pub" "$keys/authorized_keys"
printf '127.0.0.1,localhost,[127.0.0.1]:*,[localhost]:* %s\n' "$(cut -d' ' -f1-2 "$keys/ssh_host_ed25519_key.pub")" \
    >"$keys/known_hosts"
if [ -n "$root" ]; then
    install -d -m 0755 "$root/etc/ssh"
    install -m 0600 "$keys/ssh_host_ed25519_key" "$root/etc/ssh/ssh_host_ed25519_key"
    install -m 0644 "$keys/ssh_host_ed25519_key.pub" "$root/etc/ssh/ssh_host_ed25519_key.pub"
    install -d -m 0700 "$root/root/.ssh"
    install -m 0600 "$keys/authorized_keys" "$root/root/.ssh/authorized_keys"
fi
echo "ssh keys in $keys${root:+, installed in $root}"
