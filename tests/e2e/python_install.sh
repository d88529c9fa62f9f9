# The hsys Python package installs where Debian's /usr/bin/python3 finds
# it: `make install` for PREFIX=/usr and /usr/local (checked in a DESTDIR
# staging tree, by the directory's place on python3's sys.path), and into
# a virtual environment offline (venv --system-site-packages, then pip
# install --no-build-isolation with Debian's setuptools); the installed
# package runs `-m hsys.wsgi --help`.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3

stage=$T/stage
for prefix in /usr /usr/local; do
	t_ok "make install PREFIX=$prefix" make -C "$TOP" -s install \
	    BUILD="$BUILD" PREFIX=$prefix DESTDIR="$stage$prefix.d"
	dir=$(cd "$stage$prefix.d" && find . -path '*/hsys/wsgi.py' | sed 's|^\.||; s|/hsys/wsgi.py$||')
	t_ok "PREFIX=$prefix: the package goes to $dir, on python3's path" \
	    $PY -c "import sys; sys.exit('$dir' not in sys.path)"
	for m in __init__ client protocol wsgi asgi websocket _server; do
		t_ok "PREFIX=$prefix: installs hsys/$m.py" \
		    test -f "$stage$prefix.d$dir/hsys/$m.py"
	done
	t_ok "PREFIX=$prefix: the staged package imports" env \
	    PYTHONPATH="$stage$prefix.d$dir" $PY -c \
	    "import hsys.wsgi, hsys.asgi; assert hsys.__file__.startswith('$stage')"
	t_ok "make uninstall PREFIX=$prefix removes it" make -C "$TOP" -s \
	    uninstall PREFIX=$prefix DESTDIR="$stage$prefix.d"
	t_ok "PREFIX=$prefix: gone" test ! -e "$stage$prefix.d$dir/hsys"
done
t_ok "another PREFIX: the package under PREFIX/lib/python3.X/dist-packages" \
    make -C "$TOP" -s install BUILD="$BUILD" PREFIX="$T/opt"
t_ok "which PYTHONPATH finds" env \
    PYTHONPATH="$(echo "$T"/opt/lib/python3.*/dist-packages)" $PY -c \
    "import hsys.client"

# A virtual environment, offline.
cp -r "$TOP/bindings/python" "$T/src"
t_ok "a venv with the system's packages" \
    $PY -m venv --system-site-packages "$T/venv"
t_ok "pip installs the package offline, without build isolation" env \
    PIP_NO_INDEX=1 "$T/venv/bin/pip" install -q --no-build-isolation "$T/src"
t_ok "the venv's python imports it from the venv" sh -c \
    "cd / && '$T/venv/bin/python' -c 'import hsys; print(hsys.__file__)'"
t_grep "from its site-packages" "^$T/venv/lib/python3[.0-9]*/site-packages/hsys/__init__.py" \
    "$T/out"
t_ok "python -m hsys.wsgi runs from the venv" sh -c \
    "cd / && '$T/venv/bin/python' -m hsys.wsgi --help"
t_grep "and says how to use it" 'MODULE:APP' "$T/out"
t_ok "python -m hsys.asgi too" sh -c \
    "cd / && '$T/venv/bin/python' -m hsys.asgi --help"
t_done
