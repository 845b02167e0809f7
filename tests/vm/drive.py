#!/usr/bin/env python3
"""drive.py WORKDIR QEMU-ARGS... - run QEMU, echo its serial console, and
press Ctrl-Alt-Del through the monitor (WORKDIR/monitor.sock) two seconds
after the console shows MARKER (the environment's RT_VM_MARKER, default
"api: started"), or after 180 s. With RT_VM_FETCH set to a URL (a port
QEMU forwards from the host's loopback), it is fetched from the host
first and the answer printed as "RT-HOST-GOT: BODY" (or "RT-HOST-FAILED:
WHY"). Exits with QEMU's status."""
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request

work, cmd = sys.argv[1], sys.argv[2:]
q = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
up = threading.Event()
marker = os.environ.get("RT_VM_MARKER", "api: started")


def fetch(url):
    for _ in range(20):
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                body = r.read().decode(errors="replace").strip()
            print("RT-HOST-GOT: " + body, flush=True)
            return
        except Exception as e:  # noqa: BLE001 - any failure is reported the same way
            why = str(e)
            time.sleep(1)
    print("RT-HOST-FAILED: " + why, flush=True)


def press():
    up.wait(180)
    time.sleep(2)
    if os.environ.get("RT_VM_FETCH"):
        fetch(os.environ["RT_VM_FETCH"])
    for _ in range(50):
        try:
            s = socket.socket(socket.AF_UNIX)
            s.connect(os.path.join(work, "monitor.sock"))
            s.sendall(b"sendkey ctrl-alt-delete\n")
            time.sleep(0.5)
            s.close()
            return
        except OSError:
            time.sleep(0.2)


threading.Thread(target=press, daemon=True).start()
deadline = time.time() + 400
for raw in q.stdout:
    line = raw.decode(errors="replace")
    sys.stdout.write(line)
    sys.stdout.flush()
    if marker in line:
        up.set()
    if time.time() > deadline:
        q.kill()
        break
sys.exit(q.wait())
