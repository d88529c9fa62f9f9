#!/bin/bash
# bench/keys.sh [SECONDS]: what the key process costs (bench/keys.c): full
# TLS 1.3 handshakes per second of server time, key in-process vs key
# process, ECDSA P-256 and RSA-2048, side by side; and one signature's
# round trip. Everything pinned to one core (taskset), so that the key
# process's work counts against the server. Needs root (it reads keys.db)
# and a built tree (make).
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
SECS=${1:-5}
CPU=${CPU:-0}
# RT="chrt -f 1": the run at a real-time priority, so that on a busy
# machine other programs do not take the core at each of its switches.
RT=${RT:-}
BUILD=${BUILD:-$TOP/build}
export HSYS_HOME
HSYS_HOME=$(mktemp -d /tmp/hsys-bench-keys.XXXXXX)
trap 'rm -rf "$HSYS_HOME"' EXIT
APPID='{00112233-4455-6677-8899-aabbccddeeff}'
new() { "$BUILD/hsys" cert new-selfsigned "$@" | grep -oE '^[0-9A-F]{40}'; }
EC=$(new --dns-name ec.bench --key ec-p256)
RSA=$(new --dns-name rsa.bench --key rsa-2048)
"$BUILD/hsys" http add sslcert ipport=127.0.0.1:1 certhash=$EC appid=$APPID \
    >/dev/null 2>&1
"$BUILD/hsys" http add sslcert ipport=127.0.0.1:2 certhash=$RSA appid=$APPID \
    >/dev/null 2>&1
cc -O2 -std=c17 -D_GNU_SOURCE -I"$TOP/src" -I"$TOP/include" \
    -o "$BUILD/bench-keys" "$TOP/bench/keys.c" "$BUILD/libhsysd.a" \
    "$BUILD/libhsyscore.a" -lssl -lcrypto -lsqlite3 -lpthread -lnghttp2 \
    -lsystemd
$RT taskset -c "$CPU" "$BUILD/bench-keys" "$SECS" "$EC" "$RSA"
