#!/usr/bin/env python3
"""tests/cli/ptydrive.py MODE [ARGS] -- CMD... : run CMD (rtctl run -it,
rtctl exec -it) on a new pseudo-terminal of the host, as a user at a
terminal would, and check what a terminal user sees (tests/cli/tty.sh).

The test holds both ends of that terminal: CMD gets the slave as its
stdin, stdout, stderr and controlling terminal (a session of its own, in
the foreground), the test keeps the master (what a terminal emulator
reads and writes) and the slave too, so that the terminal's mode can be
read after CMD is gone.

Modes (each prints "ok WHAT" lines, and on a failure "FAIL WHAT" with the
transcript on stderr and exit status 1):

  session -- CMD   CMD runs an interactive shell in a container: `stty
                   size` there says the size set here (30 100), a
                   TIOCSWINSZ here is seen there (40 120), its stdin is
                   /dev/pts/N of the container's own devpts (not the host's
                   /dev/pts), the host terminal is raw while it runs; the
                   shell ends with `exit 7`: CMD exits 7, the terminal's
                   mode is what it was, and no input was pushed into it
                   (TIOCSTI from the container lands in the container's pty)
  signal SIG -- CMD  CMD's command runs until SIG is sent to CMD (rtctl),
                   which passes it on: the terminal is put back, and CMD
                   exits 128+SIG
  oneshot -- CMD   CMD runs to its end; its output is printed without \\r
                   (with -t but no -i our terminal is not raw and adds
                   one), then "status N", and whether the terminal's mode
                   is unchanged ("mode kept" or "mode changed"), then
                   "tail R": R the repr of what came after the last line
                   "@@END@@" CMD printed (what rtctl wrote after the
                   process's own output)
  stall SIG -- CMD CMD's command writes without end and the test stops
                   reading the terminal, so that rtctl's stdout is full;
                   then SIG to CMD (rtctl): it must pass it on and exit
                   128+SIG within 2 s, the terminal's mode put back
"""
import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time

TRANSCRIPT = bytearray()


def fail(what, extra=""):
    print("FAIL " + what)
    sys.stderr.write("FAIL %s %s\n--- transcript ---\n%s\n" % (what, extra, TRANSCRIPT.decode(errors="replace")))
    sys.exit(1)


def setsize(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def start(cmd):
    master, slave = os.openpty()
    setsize(slave, 30, 100)
    mode = termios.tcgetattr(slave)

    def ctty():
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    p = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=slave, start_new_session=True, preexec_fn=ctty)
    return p, master, slave, mode


class Reader:
    def __init__(self, master):
        self.master = master
        self.buf = b""

    def pump(self, timeout):
        r, _, _ = select.select([self.master], [], [], timeout)
        if not r:
            return False
        try:
            data = os.read(self.master, 65536)
        except OSError:  # EIO: every slave closed
            return False
        TRANSCRIPT.extend(data)
        self.buf += data
        return bool(data)

    def expect(self, pattern, what, timeout=10):
        """Wait for pattern in what came since the last send."""
        end = time.time() + timeout
        rx = re.compile(pattern.encode())
        while time.time() < end:
            m = rx.search(self.buf)
            if m:
                return m
            self.pump(min(0.2, max(0.0, end - time.time())))
        fail(what, "(waited %ds for %r)" % (timeout, pattern))

    def send(self, text):
        self.buf = b""
        os.write(self.master, text.encode())


def is_raw(mode):
    return not (mode[3] & (termios.ICANON | termios.ECHO))


def wait_raw(slave, what, timeout=10):
    end = time.time() + timeout
    while time.time() < end:
        if is_raw(termios.tcgetattr(slave)):
            return
        time.sleep(0.02)
    fail(what, "(the terminal never became raw)")


def wait_exit(p, rd, timeout=20):
    end = time.time() + timeout
    while p.poll() is None and time.time() < end:
        rd.pump(0.1)
    if p.poll() is None:
        p.kill()
        fail("exit", "(still running after %ds)" % timeout)
    while rd.pump(0.05):
        pass
    return p.returncode


def session(cmd):
    p, master, slave, mode = start(cmd)
    rd = Reader(master)
    # a prompt: the shell reads the terminal
    rd.expect(r"[#$] ", "prompt")
    print("ok prompt")
    wait_raw(slave, "raw")
    print("ok raw while it runs")
    # $((...)) marks the output, not the echo of what was typed
    rd.send("stty size; echo @@$((6*7))@@\r")
    m = rd.expect(r"(\d+) (\d+)\r\n@@42@@", "stty size")
    if m.group(1, 2) != (b"30", b"100"):
        fail("first size", "(stty size said %r)" % (m.group(0),))
    print("ok size 30 100")
    setsize(master, 40, 120)
    rd.send("stty size; echo @@$((6*8))@@\r")
    m = rd.expect(r"(\d+) (\d+)\r\n@@48@@", "stty size after TIOCSWINSZ")
    if m.group(1, 2) != (b"40", b"120"):
        fail("new size", "(stty size said %r)" % (m.group(0),))
    print("ok size 40 120 after SIGWINCH")
    # its terminal: /dev/pts/N of a devpts that is not the host's
    rd.send("readlink /proc/self/fd/0; stat -L -c %d:%t /proc/self/fd/0; stat -c %d /dev/pts/ptmx; "
            "echo @@$((6*9))@@\r")
    m = rd.expect(r"(/dev/pts/\d+)\r\n(\d+):88\r\n(\d+)\r\n@@54@@", "its terminal")
    dev_slave, dev_pts = int(m.group(2)), int(m.group(3))
    host = os.stat("/dev/pts/ptmx").st_dev
    if dev_slave != dev_pts:
        fail("devpts", "(its fd 0 is on device %d, its /dev/pts on %d)" % (dev_slave, dev_pts))
    if dev_pts == host:
        fail("devpts", "(the container's /dev/pts is the host's, device %d)" % host)
    print("ok %s of the container's own devpts" % m.group(1).decode())
    # job control: the shell leads its session, the pty is its terminal
    rd.send("cat /proc/self/stat | cut -d' ' -f7; echo @@$((7*9))@@\r")
    m = rd.expect(r"(\d+)\r\n@@63@@", "tty_nr")
    if int(m.group(1)) >> 8 != 136:
        fail("controlling terminal", "(tty_nr %s)" % m.group(1))
    print("ok the pty is its controlling terminal")
    # TIOCSTI from inside: into the container's pty at most
    rd.send("probe tiocsti; echo @@$((8*9))@@\r")
    rd.expect(r"@@72@@", "tiocsti")
    # what it may have pushed is the shell's next input: ^U clears the line
    rd.send("\x15exit 7\r")
    rc = wait_exit(p, rd)
    if rc != 7:
        fail("exit status", "(%s, expected 7)" % rc)
    print("ok exit status 7")
    if termios.tcgetattr(slave) != mode:
        fail("mode restored", "(%r, was %r)" % (termios.tcgetattr(slave), mode))
    print("ok terminal mode restored")
    r, _, _ = select.select([slave], [], [], 0.3)
    if r:
        fail("no input pushed", "(the host terminal has input: %r)" % os.read(slave, 100))
    print("ok nothing pushed into the host terminal")


def send_signal(sig, cmd):
    p, master, slave, mode = start(cmd)
    rd = Reader(master)
    wait_raw(slave, "raw")
    time.sleep(0.3)
    p.send_signal(sig)
    rc = wait_exit(p, rd)
    if rc != 128 + sig:
        fail("exit status", "(%s, expected %d)" % (rc, 128 + sig))
    print("ok exit status %d" % rc)
    if termios.tcgetattr(slave) != mode:
        fail("mode restored", "(%r, was %r)" % (termios.tcgetattr(slave), mode))
    print("ok terminal mode restored after signal %d" % sig)


def oneshot(cmd):
    p, master, slave, mode = start(cmd)
    rd = Reader(master)
    rc = wait_exit(p, rd)
    sys.stdout.write(bytes(TRANSCRIPT).decode(errors="replace").replace("\r", ""))
    print("status %d" % rc)
    print("mode kept" if termios.tcgetattr(slave) == mode else "mode changed")
    end = TRANSCRIPT.rfind(b"@@END@@")
    if end >= 0:
        print("tail %r" % bytes(TRANSCRIPT[end + 7:]).lstrip(b"\r\n"))


def stall(sig, cmd):
    p, master, slave, mode = start(cmd)
    rd = Reader(master)
    wait_raw(slave, "raw")
    # read nothing more: the host terminal's buffer fills, rtctl's stdout
    # with it, and then the container's pty
    end = time.time() + 10
    queued = last = 0
    while time.time() < end:
        time.sleep(0.2)
        queued = struct.unpack("i", fcntl.ioctl(master, termios.FIONREAD, b"\0\0\0\0"))[0]
        if queued and queued == last:
            break
        last = queued
    else:
        fail("stall", "(the terminal never filled: %d bytes queued)" % queued)
    print("ok output stalled with %d bytes unread" % queued)
    t0 = time.time()
    p.send_signal(sig)
    while p.poll() is None and time.time() < t0 + 10:
        time.sleep(0.01)
    took = time.time() - t0
    if p.poll() is None:
        p.kill()
        fail("exit after signal", "(still running 10 s after signal %d with its output not read)" % sig)
    if took > 2:
        fail("exit after signal", "(took %.2f s)" % took)
    print("ok exited %d ms after signal %d with its output not read" % (took * 1000, sig))
    if p.returncode != 128 + sig:
        fail("exit status", "(%s, expected %d)" % (p.returncode, 128 + sig))
    print("ok exit status %d" % p.returncode)
    if termios.tcgetattr(slave) != mode:
        fail("mode restored", "(%r, was %r)" % (termios.tcgetattr(slave), mode))
    print("ok terminal mode restored")


def main():
    args = sys.argv[1:]
    if "--" not in args:
        sys.exit(__doc__)
    i = args.index("--")
    mode, opts, cmd = args[0], args[1:i], args[i + 1:]
    if mode == "session":
        session(cmd)
    elif mode == "signal":
        send_signal(int(getattr(signal, opts[0]) if opts[0].startswith("SIG") else opts[0]), cmd)
    elif mode == "oneshot":
        oneshot(cmd)
    elif mode == "stall":
        stall(int(getattr(signal, opts[0]) if opts[0].startswith("SIG") else opts[0]), cmd)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
