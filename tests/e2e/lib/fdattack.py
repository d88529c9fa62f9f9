"""Holds idle connections to hsysd, as a hostile local user would, for
tests/e2e/attack_fds.sh.

    fdattack.py unix PATH COUNT SECONDS   control connections, no HELLO
    fdattack.py tcp PORT COUNT SECONDS    TCP connections to 127.0.0.1

Opens up to COUNT connections (each connect waits at most 1 s: a daemon
that stops accepting leaves them in its queue), sends nothing, holds them
for SECONDS, and prints "opened N failed M" once they are all attempted,
then "done" when it lets them go. Bounded in count and time.
"""
import resource
import socket
import sys
import time


def main():
    kind, where, count, hold = sys.argv[1], sys.argv[2], int(sys.argv[3]), \
        float(sys.argv[4])
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    held, failed = [], 0
    deadline = time.monotonic() + 30
    for _ in range(count):
        if time.monotonic() > deadline:
            break
        if kind == "unix":
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            addr = where
        else:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            addr = ("127.0.0.1", int(where))
        s.settimeout(1)
        try:
            s.connect(addr)
            held.append(s)
        except OSError:
            failed += 1
            s.close()
    print("opened %d failed %d" % (len(held), failed), flush=True)
    time.sleep(hold)
    for s in held:
        s.close()
    print("done", flush=True)


main()
