"""Checks a Prometheus text page (exposition format 0.0.4) line by line.

    promcheck.py < page       prints one "name{labels} value" per sample,
                              labels sorted, and exits 1 naming the first
                              line that breaks the format.

Every line is a HELP, a TYPE or a sample; a family's TYPE comes once, before
its samples; a sample belongs to a declared family (a histogram's _bucket,
_sum and _count to it); label values are quoted with \\\\, \\" and \\n
escapes; a value is a float. A histogram's buckets must be cumulative and
end with le="+Inf" equal to its _count.
"""
import re
import sys

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
SAMPLE = re.compile(r"^(%s)(?:\{(%s(?:,%s)*)?\})? (\S+)$" % (NAME, LABEL,
                                                              LABEL))
HELP = re.compile(r"^# HELP (%s) .+$" % NAME)
TYPE = re.compile(r"^# TYPE (%s) (counter|gauge|histogram|summary|untyped)$"
                  % NAME)


def fail(n, line, why):
    print("line %d: %s: %r" % (n, why, line), file=sys.stderr)
    sys.exit(1)


def main():
    types, seen_samples = {}, set()
    buckets = {}
    out = []
    text = sys.stdin.read()
    if not text.endswith("\n"):
        fail(0, text[-40:], "the page does not end with a newline")
    for n, line in enumerate(text.split("\n")[:-1], 1):
        if line.startswith("#"):
            m = TYPE.match(line)
            if m:
                if m.group(1) in types:
                    fail(n, line, "a second TYPE for the family")
                if m.group(1) in seen_samples:
                    fail(n, line, "TYPE after the family's samples")
                types[m.group(1)] = m.group(2)
                continue
            if not HELP.match(line):
                fail(n, line, "neither HELP nor TYPE")
            continue
        m = SAMPLE.match(line)
        if not m:
            fail(n, line, "not a sample")
        name, labels, value = m.group(1), m.group(2) or "", m.group(3)
        try:
            v = float(value)
        except ValueError:
            fail(n, line, "the value is not a number")
        family = name
        for suffix in ("_bucket", "_sum", "_count"):
            base = name[:-len(suffix)]
            if name.endswith(suffix) and types.get(base) == "histogram":
                family = base
        if family not in types:
            fail(n, line, "a sample of an undeclared family")
        seen_samples.add(family)
        pairs = sorted(re.findall(LABEL, labels))
        if name.endswith("_bucket") and family != name:
            le = dict(p.split("=", 1) for p in pairs)["le"].strip('"')
            prev = buckets.setdefault(family, [])
            if prev and v < prev[-1][1]:
                fail(n, line, "a bucket smaller than the one before")
            prev.append((le, v))
        if name.endswith("_count") and family in buckets:
            if buckets[family][-1] != ("+Inf", v):
                fail(n, line, "the last bucket is not +Inf = _count")
        out.append("%s{%s} %s" % (name, ",".join(pairs), value))
    print("\n".join(out))


main()
