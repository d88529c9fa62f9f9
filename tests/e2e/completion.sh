#!/usr/bin/env bash
# completion — packaging/hsys.bash-completion: what `hsys <TAB>` offers.
#
# The completion function is called as bash calls it (COMP_LINE and
# COMP_POINT set) for commands, cert verbs and options, http verbs, nouns,
# netsh keys per noun and their values, and thumbprints from a private
# store made with `hsys cert new-selfsigned`; an unreadable store gives no
# thumbprint and no message. Then a real interactive bash on a pty presses
# TAB, so that bash's own word splitting (key=value, COMP_WORDBREAKS) and
# the no-space-after-'=' rule are exercised too.
. "$(dirname "$0")/lib.sh"

COMP=$TOP/packaging/hsys.bash-completion
export PATH=$BUILD:$PATH

t_ok "the completion script parses" bash -n "$COMP"
. "$COMP"

# comp LINE — runs the completion for LINE (cursor at its end); the
# candidates, sorted, one per line, are in $T/comp, stderr in $T/comp.err.
comp() {
	COMP_LINE=$1 COMP_POINT=${#1}
	COMPREPLY=()
	_hsys hsys 2>"$T/comp.err"
	printf '%s\n' "${COMPREPLY[@]}" | sort >"$T/comp"
}
# has LINE WORD... — every WORD is a candidate for LINE.
has() {
	local line=$1 w missing=
	shift
	comp "$line"
	for w in "$@"; do
		grep -qxF -- "$w" "$T/comp" || missing="$missing $w"
	done
	[ -z "$missing" ]
	_t_report $? "'$line<TAB>' offers $*" "missing:$missing; got: $(tr '\n' ' ' <"$T/comp")"
}
# only LINE WORD... — the candidates for LINE are exactly the WORDs.
only() {
	local line=$1
	shift
	comp "$line"
	t_eq "'$line<TAB>' offers only $*" "$(tr '\n' ' ' <"$T/comp")" \
	    "$(printf '%s\n' "$@" | sort | tr '\n' ' ')"
}
# lacks LINE WORD... — no WORD is a candidate for LINE.
lacks() {
	local line=$1 w found=
	shift
	comp "$line"
	for w in "$@"; do
		grep -qxF -- "$w" "$T/comp" && found="$found $w"
	done
	[ -z "$found" ]
	_t_report $? "'$line<TAB>' does not offer $*" "offered:$found"
}

has "hsys " cert http -f --version
has "hsys cert " import list show delete new-selfsigned new-ca request \
    accept export trust untrust verify
only "hsys cert new-" new-selfsigned new-ca
has "hsys cert new-selfsigned --" --dns-name --ip --subject --key --days \
    --not-after --signer --store
has "hsys cert export T --" --pfx --pem --with-key --password-file --legacy
only "hsys cert new-selfsigned --key " ec-p256 ec-p384 rsa-2048 rsa-3072 \
    rsa-4096
only "hsys cert list " My Root CA WebHosting --all --long --json
only "hsys cert import x.pfx --store W" WebHosting
only "hsys http " add update delete show export help
only "hsys http add " sslcert urlacl iplisten timeout metrics setting
has "hsys http show " servicestate sslcert
only "hsys http update " sslcert
has "hsys http add sslcert " ipport= hostnameport= certhash= appid= \
    certstorename= disablehttp2= clientcertnegotiation= disabletls13=
only "hsys http delete sslcert " ipport= hostnameport=
lacks "hsys http add sslcert ipport=0.0.0.0:443 " ipport= hostnameport=
has "hsys http add sslcert ipport=0.0.0.0:443 " certhash= appid=
lacks "hsys http add sslcert hostnameport=a.test:443 certhash=X " \
    ipport= hostnameport= certhash=
has "hsys http show sslcert " ipport= --json
only "hsys http add urlacl " url= user= listen= delegate= sddl=
only "hsys http add timeout " timeouttype= value=
only "hsys http show servicestate " view= --json

# Values. With '=' in COMP_WORDBREAKS (bash's default) bash replaces only
# what follows the '=', so the candidates are the values alone.
only "hsys http add sslcert ipport=0.0.0.0:443 disablehttp2=" enable disable
only "hsys http add sslcert ipport=0.0.0.0:443 certstorename=w" WEBHOSTING
only "hsys http add urlacl url=http://+:80/ listen=" yes no
only "hsys http add timeout timeouttype=" idleconnectiontimeout \
    headerwaittimeout entitybodytimeout
only "hsys http add timeout timeouttype=h" headerwaittimeout
only "hsys http show servicestate view=" all server listeners queues
only "hsys http add setting name=maxr" MaxRequestBytes MaxRequestBodySize
only "hsys http add setting name=MaxConnections value=" unlimited
has "hsys http add urlacl url=http://+:80/ user=" root @root Everyone
( COMP_WORDBREAKS=$' \t\n'
  only "hsys http add timeout timeouttype=e" timeouttype=entitybodytimeout )
# Keys are case-insensitive, as netsh's.
only "hsys http add sslcert ipport=0.0.0.0:443 DisableHttp2=e" enable

# Thumbprints from the store.
hsys cert new-selfsigned --dns-name one.test >"$T/one" 2>&1
hsys cert new-selfsigned --dns-name two.test >"$T/two" 2>&1
hsys cert list --json >"$T/list.json"
T1=$(sed -n 's/.*"thumbprint": *"\([0-9A-F]*\)".*subject": "CN=one.test".*/\1/p' "$T/list.json")
T2=$(sed -n 's/.*"thumbprint": *"\([0-9A-F]*\)".*subject": "CN=two.test".*/\1/p' "$T/list.json")
t_grep "the store has two certificates" '^[0-9A-F]{40}$' <(echo "$T1"; echo "$T2")
only "hsys http add sslcert ipport=0.0.0.0:443 certhash=" "$T1" "$T2"
only "hsys http add sslcert ipport=0.0.0.0:443 certhash=${T1:0:6}" "$T1"
only "hsys cert show " "$T1" "$T2"
only "hsys cert verify $(echo "${T2:0:6}" | tr A-F a-f)" "$T2"
only "hsys cert new-selfsigned --dns-name x --signer ${T2:0:6}" "$T2"
lacks "hsys cert show $T1 " "$T1" "$T2"

# Entries of the configuration, for the commands that name one.
t_ok "a binding to complete" hsys http add sslcert ipport=0.0.0.0:4443 \
    certhash="$T1" appid={00112233-4455-6677-8899-aabbccddeeff}
t_ok "a reservation to complete" \
    hsys http add urlacl url=http://+:8080/app/ user=root
t_ok "a listen address to complete" hsys http add iplisten ipaddress=127.0.0.1
only "hsys http delete sslcert ipport=" 0.0.0.0:4443
only "hsys http update sslcert ipport=0" 0.0.0.0:4443
# ':' breaks words too: bash replaces only what follows the last one.
only "hsys http delete sslcert ipport=0.0.0.0:" 4443
only "hsys http delete urlacl url=" http://+:8080/app/
only "hsys http show urlacl url=http://+:" 8080/app/
only "hsys http delete iplisten ipaddress=" 127.0.0.1
only "hsys http add sslcert ipport="

# A store that cannot be read: no thumbprint, and nothing on the terminal.
mkdir -m 0755 "$T/bad"
head -c 4096 /dev/urandom >"$T/bad/hsys.db"
chmod 0600 "$T/bad/hsys.db"
HSYS_HOME=$T/bad t_fail "a store that is not a database cannot be listed" 1 \
    hsys cert list --json
( export HSYS_HOME=$T/bad
  only "hsys http add sslcert ipport=0.0.0.0:443 certhash="
  t_eq "no message for a store that cannot be read" "$(cat "$T/comp.err")" "" )
# The same for a user who may not read the store (while non-root users
# cannot list the system store's certificates).
chmod 0711 "$HSYS_HOME" "$T"
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
if ! nobody "$BUILD/hsys" cert list --json >/dev/null 2>&1; then
	nobody bash -c '
		. "$1"; export PATH=$2:$PATH
		COMP_LINE="hsys cert show " COMP_POINT=15
		_hsys hsys 2>&1
		printf "%s\n" "${COMPREPLY[@]}"' - "$COMP" "$BUILD" \
	    >"$T/nobody" 2>&1
	t_eq "a store the user cannot read: no thumbprint, no message" \
	    "$(tr -d '\n' <"$T/nobody")" ""
fi
chmod 0755 "$HSYS_HOME" "$T"

# A real bash on a terminal: TAB, then ^A and 'echo' to print the line as
# readline left it.
cat >"$T/tab.py" <<'EOF'
import os, pty, select, sys, time

script, build, thumb = sys.argv[1:4]
env = dict(os.environ, PS1="$ ", TERM="dumb", INPUTRC="/dev/null",
           PATH=build + ":" + os.environ["PATH"])
pid, fd = pty.fork()
if pid == 0:
    os.execve("/bin/bash", ["bash", "--norc", "--noprofile", "-i"], env)
out = b""

def wait_for(pat, limit=15):
    global out
    end = time.time() + limit
    while pat not in out and time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                out += os.read(fd, 4096)
            except OSError:
                break
    return pat in out

os.write(fd, b". " + script.encode() + b"; echo READY\n")
wait_for(b"\nREADY")
lines = [b"hsys http add sslcert disableh\tena\t",
         b"hsys http add timeout time\tid\t",
         b"hsys http add sslcert ipport=0.0.0.0:443 certhash="
         + thumb[:6].encode() + b"\t",
         b"hsys cert sh\t" + thumb[:6].encode() + b"\t"]
for i, l in enumerate(lines):
    os.write(fd, l)
    time.sleep(1)
    tag = b"LINE%d:" % i
    os.write(fd, b"\x01echo " + tag + b" \n")
    wait_for(b"\n" + tag)
    wait_for(b"\n", 2)
os.write(fd, b"exit\n")
time.sleep(0.5)
for l in out.replace(b"\r", b"").split(b"\n"):
    if l.startswith(b"LINE"):
        print(l.decode(errors="replace"))
os.kill(pid, 9)
EOF
timeout 120 /usr/bin/python3 "$T/tab.py" "$COMP" "$BUILD" "$T1" >"$T/pty" 2>&1
t_grep "TAB on a terminal: key= then its value, no space after '='" \
    '^LINE0: hsys http add sslcert disablehttp2=enable$' "$T/pty"
t_grep "TAB on a terminal: timeouttype= then idleconnectiontimeout" \
    '^LINE1: hsys http add timeout timeouttype=idleconnectiontimeout$' "$T/pty"
t_grep "TAB on a terminal: certhash= completes a thumbprint after IP:PORT" \
    "^LINE2: hsys http add sslcert ipport=0.0.0.0:443 certhash=$T1\$" "$T/pty"
t_grep "TAB on a terminal: cert show completes a thumbprint" \
    "^LINE3: hsys cert show $T1\$" "$T/pty"

t_done
