#!/usr/bin/python3
"""memscan: which forms of private keys a process's memory holds.

    memscan.py PID KEY.pem...

For each key (PEM, unencrypted), the forms searched are: its DER
(PKCS#8 and the traditional form), and OpenSSL's big numbers: the EC
private scalar, RSA's d, p and q, each as big-endian bytes and as the
little-endian limbs a BIGNUM keeps on x86-64 (the number's bytes
reversed). Reads /proc/PID/maps and /proc/PID/mem (root), every readable
mapping but ASan's shadow (over 64 GiB, reserved and mostly unbacked). Prints one line per form found: "FOUND file form"; and last
"scanned N bytes". Exit 0.
"""
import re
import subprocess
import sys


def number_forms(pem):
    """{name: int} of the key's secret numbers, from openssl's text."""
    text = subprocess.run(["openssl", "pkey", "-in", pem, "-noout", "-text"],
                          check=True, capture_output=True, text=True).stdout
    forms, name, digits = {}, None, ""
    for line in text.splitlines():
        m = re.match(r"^(priv|privateExponent|prime1|prime2):\s*(.*)$", line)
        if m:
            if name:
                forms[name] = digits
            name, digits = m.group(1), m.group(2).replace(":", "").strip()
            continue
        if name and re.match(r"^\s+[0-9a-f:]+$", line):
            digits += line.strip().replace(":", "")
            continue
        if name:
            forms[name] = digits
            name = None
    if name:
        forms[name] = digits
    names = {"priv": "EC scalar", "privateExponent": "RSA d",
             "prime1": "RSA p", "prime2": "RSA q"}
    return {names[k]: int(v, 16) for k, v in forms.items() if v}


def patterns(pem):
    pats = []
    for name, cmd in (("DER PKCS#8", ["pkcs8", "-topk8", "-nocrypt"]),
                      ("DER traditional", ["pkey", "-traditional"])):
        der = subprocess.run(["openssl"] + cmd + ["-in", pem, "-outform",
                             "DER"], check=True, capture_output=True).stdout
        pats.append((name, der))
    for name, n in number_forms(pem).items():
        be = n.to_bytes((n.bit_length() + 7) // 8, "big")
        pats.append((name + " big-endian", be))
        pats.append((name + " little-endian limbs", be[::-1]))
    return pats


CHUNK = 64 << 20
HUGE = 64 << 30   # ASan's shadow: reserved, never a heap; not read


def scan(pid, pats):
    found, total = set(), 0
    overlap = max(len(p) for _, _, p in pats)
    with open("/proc/%d/maps" % pid) as maps, \
            open("/proc/%d/mem" % pid, "rb", 0) as mem:
        for line in maps:
            f = line.split()
            if "r" not in f[1] or (len(f) > 5 and f[5] == "[vvar]"):
                continue
            lo, hi = (int(x, 16) for x in f[0].split("-"))
            if hi - lo > HUGE:
                continue
            at, tail = lo, b""
            while at < hi:
                try:
                    mem.seek(at)
                    chunk = mem.read(min(CHUNK, hi - at))
                except (OSError, ValueError):
                    break
                total += len(chunk)
                chunk = tail + chunk
                for i, (_, _, p) in enumerate(pats):
                    if i not in found and p in chunk:
                        found.add(i)
                tail = chunk[-overlap:]
                at += CHUNK
    return found, total


def main():
    pid = int(sys.argv[1])
    pats = [(pem, name, p) for pem in sys.argv[2:]
            for name, p in patterns(pem)]
    found, total = scan(pid, pats)
    for i in sorted(found):
        print("FOUND %s %s" % (pats[i][0], pats[i][1]))
    print("scanned %d bytes for %d forms" % (total, len(pats)))


if __name__ == "__main__":
    main()
