#!/usr/bin/env python3
"""tests/cli/ctlclient.py - a client of rtinit's control socket for
tests/cli/control.sh, speaking the protocol of docs/protocol.md by hand.

  ctlclient.py ask SOCKET TEXT     send TEXT as one request, print the answer
  ctlclient.py hostile SOCKET KIND run one kind of hostile client (below),
                                   print what rtinit did, exit 1 when it was
                                   not what a sound rtinit does
  ctlclient.py probe SOCKET FILE   ask for status every 10 ms until FILE
                                   exists; exit 1 if an answer took 100 ms
"""
import json
import os
import socket
import sys
import time

SO_SNDBUFFORCE = 32


def conn(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(path)
    return s


def answer(s, timeout=5.0):
    """The answer on s as a dict; None when the connection ended without one."""
    s.settimeout(timeout)
    data = s.recv(1 << 22)
    if not data:
        return None
    return json.loads(data)


def ask(path, text, timeout=5.0):
    s = conn(path)
    s.send(text if isinstance(text, bytes) else text.encode())
    a = answer(s, timeout)
    s.close()
    return a


def refused(a, needle):
    return a is not None and a.get("ok") is False and needle in a.get("error", "")


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def garbage(path):
    # random bytes, truncated JSON, JSON that is not an object, nesting
    # deeper than any parser should follow, NUL bytes, bad UTF-8
    cases = [os.urandom(n) for n in (1, 7, 100, 4096, 60000)]
    cases += [b'{"v":1,"verb":"stat', b'[1,2,3]', b'"status"', b'{"v":1,"verb":"status"}garbage',
              b'[' * 30000 + b']' * 30000, b'{"v":1,"verb":"st\\u0000atus"}', b'{"v":1,"verb":"\xff\xfe"}',
              b'{"v":1,"verb":"stop","services":["a\\u0000b"]}', b'\x00' * 100]
    for c in cases:
        a = ask(path, c)
        if a is None or a.get("ok") is not False or not a.get("error"):
            fail("garbage %r... answered %r" % (c[:20], a))
    print("garbage: %d requests, each refused with an error" % len(cases))


def big(path):
    # one message as large as the kernel lets us send (10 MB with a forced
    # buffer, else less), then the limit itself: 64 KiB passes, one more
    # byte does not
    sent = 0
    for size in (10 << 20, 4 << 20, 1 << 20, 200 << 10):
        s = conn(path)
        try:
            s.setsockopt(socket.SOL_SOCKET, SO_SNDBUFFORCE, 64 << 20)
            s.send(b"x" * size)
        except OSError:
            s.close()
            continue
        a = answer(s)
        s.close()
        if not refused(a, "bytes; at most 65536"):
            fail("%d bytes answered %r" % (size, a))
        sent = size
        break
    if not sent:
        fail("the kernel took no message over 200 KiB")
    ok = b'{"v":1,"verb":"status"}'
    a = ask(path, ok + b" " * (65536 - len(ok)))
    if not a or a.get("ok") is not True:
        fail("a request of exactly 65536 bytes answered %r" % a)
    a = ask(path, ok + b" " * (65537 - len(ok)))
    if not refused(a, "65537 bytes; at most 65536"):
        fail("65537 bytes answered %r" % a)
    print("big: %d bytes refused unread, 65536 answered, 65537 refused" % sent)


def idle(path, n=50):
    # n clients connect and say nothing: each is dropped after 2 s with an
    # error, not before, not held
    t0 = time.monotonic()
    socks = [conn(path) for _ in range(n)]
    ends = []
    for s in socks:
        a = answer(s, timeout=10)
        ends.append(time.monotonic() - t0)
        if not refused(a, "none came within 2000 ms"):
            fail("an idle client got %r" % a)
        s.settimeout(5)
        if s.recv(100) != b"":
            fail("an idle client was not closed after its error")
        s.close()
    if min(ends) < 1.9 or max(ends) > 4:
        fail("idle clients dropped after %.2f to %.2f s, expected about 2 s" % (min(ends), max(ends)))
    print("idle: %d clients dropped after %.2f to %.2f s" % (n, min(ends), max(ends)))


def flood(path, n=100):
    # more idle clients than rtinit keeps: the oldest make room at once
    socks = [conn(path) for _ in range(n)]
    time.sleep(0.3)
    early = 0
    for s in socks:
        s.setblocking(False)
        try:
            a = json.loads(s.recv(1 << 16))
            if refused(a, "other connections wait"):
                early += 1
        except (BlockingIOError, ValueError):
            pass
    for s in socks:
        s.close()
    if early < n - 64:
        fail("%d of %d idle clients were dropped early, expected %d" % (early, n, n - 64))
    print("flood: %d idle clients, the %d oldest dropped at once" % (n, early))


def halfclose(path):
    # shut the writing side without a request: told "empty"
    s = conn(path)
    s.shutdown(socket.SHUT_WR)
    a = answer(s)
    s.close()
    if not refused(a, "request: empty"):
        fail("a half-closed client got %r" % a)
    # a request, then the writing side shut: answered as any
    s = conn(path)
    s.send(b'{"v":1,"verb":"version"}')
    s.shutdown(socket.SHUT_WR)
    a = answer(s)
    s.close()
    if not a or a.get("ok") is not True or a["data"]["protocol"] != 1:
        fail("a request then SHUT_WR got %r" % a)
    # the reading side shut: the answer is lost, nothing else happens
    for _ in range(20):
        s = conn(path)
        s.shutdown(socket.SHUT_RD)
        s.send(b'{"v":1,"verb":"status"}')
        s.close()
    # connect and go at once, a hundred times
    for _ in range(100):
        conn(path).close()
    print("halfclose: empty, request+SHUT_WR, SHUT_RD, connect-and-close all handled")


def probe(path, until):
    """Ask for status every 10 ms until the file until exists; each answer
    must come within 100 ms (rtinit's loop never waits on a client)."""
    times = []
    while not os.path.exists(until):
        t0 = time.monotonic()
        a = ask(path, b'{"v":1,"verb":"status"}')
        times.append((time.monotonic() - t0) * 1000)
        if not a or a.get("ok") is not True:
            fail("status answered %r" % a)
        time.sleep(0.01)
    times.sort()
    print("probe: %d status requests, median %.1f ms, max %.1f ms" % (len(times), times[len(times) // 2], times[-1]))
    if times[-1] >= 100:
        fail("a status request took %.1f ms" % times[-1])


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    cmd, path, arg = sys.argv[1:]
    if cmd == "ask":
        a = ask(path, arg)
        print(json.dumps(a, sort_keys=True))
    elif cmd == "hostile":
        {"garbage": garbage, "big": big, "idle": idle, "flood": flood, "halfclose": halfclose}[arg](path)
    elif cmd == "probe":
        probe(path, arg)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
