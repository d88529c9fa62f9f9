# hsys — the build front door.
#
#   make                      build everything into build/
#   make check                build, then run every test (unit + end-to-end)
#   make check SANITIZE=1     the same under ASan+UBSan, in build-san/
#   make check VALGRIND=1     end-to-end tests with every hsys run under valgrind
#   make install PREFIX=/usr/local DESTDIR=
#   make fuzz FUZZTIME=60     every libFuzzer target (tests/fuzz) FUZZTIME s
#                             each, with clang, into build-fuzz/
#
# Sources are found by folder: every .c under a component folder is part of
# that component, so adding a file never means editing this Makefile.

PREFIX    ?= /usr/local
DESTDIR   ?=
BINDIR    ?= $(PREFIX)/bin
SBINDIR   ?= $(PREFIX)/sbin
MANDIR    ?= $(PREFIX)/share/man
LIBDIR    ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
DOCDIR    ?= $(PREFIX)/share/doc/hsys
# Nothing lands outside DESTDIR$(PREFIX) but for PREFIX=/usr, Debian's
# layout, whose configuration lives in /etc. Elsewhere the logrotate file
# goes to PREFIX/etc/logrotate.d, for the admin to link into /etc (the
# README says so); the units and sysusers.d file go to PREFIX/lib, which
# systemd reads for /usr and /usr/local alike.
ifeq ($(PREFIX),/usr)
SYSCONFDIR ?= /etc
else
SYSCONFDIR ?= $(PREFIX)/etc
endif
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
VERSION   := 0.1.0
# The hsys Python package goes where Debian's /usr/bin/python3 finds it;
# for another PREFIX, put PYTHONDIR on PYTHONPATH (docs/python.md).
PYVER     ?= $(shell /usr/bin/python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || echo 3.11)
ifeq ($(PREFIX),/usr)
PYTHONDIR ?= /usr/lib/python3/dist-packages
else
PYTHONDIR ?= $(PREFIX)/lib/python$(PYVER)/dist-packages
endif
CC        ?= cc
OBJCOPY   ?= objcopy
SANITIZE  ?= 0

ifeq ($(SANITIZE),1)
BUILD     ?= build-san
SANFLAGS  := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
OPT       := -O1
else
BUILD     ?= build
SANFLAGS  :=
OPT       := -O2
endif

WARN      := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
             -Wformat=2 -Wno-format-nonliteral -Wvla
CPPFLAGS  += -D_GNU_SOURCE -Iinclude -Isrc
CFLAGS    ?= $(OPT) -g
CFLAGS    += -std=c17 $(WARN) -fno-strict-aliasing -fstack-protector-strong $(SANFLAGS) -MMD -MP
LDFLAGS   += $(SANFLAGS)
LDLIBS    := -lssl -lcrypto -lsqlite3 -lpthread
# The ACME client (src/acme) speaks HTTPS with libcurl and JSON with jansson;
# only the programs that call it link them.
ACME_LIBS := -lcurl -ljansson
$(BUILD)/hsys $(BUILD)/tests/test_acme_%: LDLIBS += $(ACME_LIBS)
# HTTP/2 framing and HPACK (src/h2) are libnghttp2's; hsysd and the unit
# tests link it (a static core library pulls src/h2 in only where used).
H2_LIBS   := -lnghttp2

# The core library: everything the programs share.
CORE_DIRS := src/common src/store src/cert src/config src/url src/http src/proto \
             src/acme src/h2
CORE_SRC  := $(foreach d,$(CORE_DIRS),$(wildcard $(d)/*.c))
CORE_OBJ  := $(CORE_SRC:%.c=$(BUILD)/obj/%.o)
CORE_LIB  := $(BUILD)/libhsyscore.a

# The daemon's modules, as a library the unit tests link too; main.c apart.
DAEMON_SRC := $(filter-out src/daemon/main.c,$(wildcard src/daemon/*.c)) \
              $(wildcard src/keys/*.c)
DAEMON_OBJ := $(DAEMON_SRC:%.c=$(BUILD)/obj/%.o)
DAEMON_LIB := $(BUILD)/libhsysd.a

# libhsys: its own files, the protocol (src/proto) and the control-socket
# client (src/common/ctlsock.c), position-independent, as a static and a
# shared library exporting only hsys_* (src/lib/hsys.map).
LIB_SRC   := $(wildcard src/lib/*.c) $(wildcard src/proto/*.c) \
             src/common/ctlsock.c
LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/pic/%.o)
LIB_A     := $(BUILD)/libhsys.a
LIB_SO    := $(BUILD)/libhsys.so.1

# hsys-forward: an application like the examples (libhsys.a), with the
# HTTP parsers of the core (chunked decoding); its modules but main.c as a
# library for its unit tests (tests/unit/test_forward_*.c).
FWD_SRC   := $(filter-out src/forward/main.c,$(wildcard src/forward/*.c))
FWD_OBJ   := $(FWD_SRC:%.c=$(BUILD)/obj/%.o)
FWD_LIB   := $(BUILD)/libhsysfwd.a

CLI_SRC   := $(wildcard src/cli/*.c)
CLI_OBJ   := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)

UNIT_SRC  := $(wildcard tests/unit/test_*.c)
UNIT_BIN  := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
LIBT_SRC  := $(wildcard tests/lib/test_*.c)
LIBT_BIN  := $(LIBT_SRC:tests/lib/%.c=$(BUILD)/tests/%)

PROGS     := $(BUILD)/hsys $(BUILD)/hsysd $(LIB_A) $(LIB_SO) \
             $(BUILD)/hsys-forward
UNITDIR   ?= $(PREFIX)/lib/systemd/system

# Example applications: examples/NAME/*.c -> $(BUILD)/examples/NAME, linked
# with libhsys.a like any application; installed as hsys-NAME.
EXAMPLES  := $(sort $(patsubst examples/%/,%,$(dir $(wildcard examples/*/*.c))))
EX_BIN    := $(EXAMPLES:%=$(BUILD)/examples/%)
ex_obj     = $(addprefix $(BUILD)/obj/,$(addsuffix .o,$(basename \
             $(wildcard examples/$(1)/*.c))))
PROGS     += $(EX_BIN)

# Quiet by default; `make V=1` shows the commands.
ifeq ($(V),1)
Q :=
else
Q := @
endif

.PHONY: all check unit install uninstall clean fuzz
FAULTSHIM := $(BUILD)/tests/faultshim.so
NOPIDFD := $(BUILD)/tests/nopidfd.so
all: $(PROGS) $(UNIT_BIN) $(LIBT_BIN) $(FAULTSHIM) $(NOPIDFD)

.SECONDARY:

# Code that hostile input reaches on a worker thread keeps its stack
# frames small: a request-sized buffer on the stack, in a path that can
# recur, is how one packet crashed hsysd once (tests/e2e/attack_pipeline).
FRAME_MAX := -Wframe-larger-than=20480
$(foreach d,src/daemon src/keys src/http src/h2 src/proto src/url,$(BUILD)/obj/$(d)/%.o): \
    CFLAGS += $(FRAME_MAX)
$(BUILD)/obj/src/daemon/main.o: CFLAGS += -Wno-frame-larger-than

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/pic/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC(pic) $<")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -fPIC -c -o $@ $<

# libhsys.a is one relocatable object whose names are all made local but
# hsys_*, so that a program linking it statically sees the API alone, as
# the shared library's version script makes it.
$(LIB_A): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@rm -f $@
	@$(if $(Q),echo "  AR      $@")
	$(Q)$(LD) -r -o $(BUILD)/pic/libhsys.o $(LIB_OBJ)
	$(Q)$(OBJCOPY) --wildcard --keep-global-symbol='hsys_*' \
	    $(BUILD)/pic/libhsys.o
	$(Q)$(AR) rcs $@ $(BUILD)/pic/libhsys.o

$(LIB_SO): $(LIB_OBJ) src/lib/hsys.map
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -shared -Wl,-soname,libhsys.so.1 \
	    -Wl,--version-script=src/lib/hsys.map -o $@ $(LIB_OBJ)

$(CORE_LIB): $(CORE_OBJ)
$(DAEMON_LIB): $(DAEMON_OBJ)
$(FWD_LIB): $(FWD_OBJ)
$(CORE_LIB) $(DAEMON_LIB) $(FWD_LIB):
	@mkdir -p $(dir $@)
	@rm -f $@
	@$(if $(Q),echo "  AR      $@")
	$(Q)$(AR) rcs $@ $^

$(BUILD)/hsys: $(CLI_OBJ) $(CORE_LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(CORE_LIB) $(LDLIBS) -ljansson

$(BUILD)/hsysd: $(BUILD)/obj/src/daemon/main.o $(DAEMON_LIB) $(CORE_LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(DAEMON_LIB) $(CORE_LIB) $(LDLIBS) \
	    $(H2_LIBS) -lsystemd -lseccomp

$(BUILD)/hsys-forward: $(BUILD)/obj/src/forward/main.o $(FWD_LIB) $(LIB_A) \
    $(CORE_LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(FWD_LIB) $(LIB_A) $(CORE_LIB) -lpthread

$(BUILD)/tests/test_forward_%: $(BUILD)/obj/tests/unit/test_forward_%.o \
    $(FWD_LIB) $(LIB_A) $(CORE_LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(FWD_LIB) $(LIB_A) $(CORE_LIB) -lpthread

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(DAEMON_LIB) $(CORE_LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(DAEMON_LIB) $(CORE_LIB) $(LDLIBS) \
	    $(H2_LIBS) -lsystemd -lseccomp

$(BUILD)/tests/test_lib_%: $(BUILD)/obj/tests/lib/test_lib_%.o $(LIB_A)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(LIB_A) $(LDLIBS)

.SECONDEXPANSION:
$(BUILD)/examples/%: $(LIB_A) $$(call ex_obj,$$*)
	@$(if $(Q),echo "  LD      $@")
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(LIB_A) $(EX_LIBS)
# hsys-websocket computes its handshake's SHA-1 with OpenSSL.
$(BUILD)/examples/websocket: EX_LIBS := -lcrypto

# bench/handshakes' baseline (bench/inkey.c): hsysd with each binding's key
# in its TLS context. Never installed; `make check` builds it, with -Werror,
# so that the baseline keeps building as the daemon changes.
INKEY := $(BUILD)/bench/hsysd-inkey
$(INKEY): $(BUILD)/obj/bench/inkey.o $(BUILD)/obj/src/daemon/main.o \
    $(DAEMON_LIB) $(CORE_LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $(BUILD)/obj/src/daemon/main.o \
	    $(BUILD)/obj/bench/inkey.o -Wl,--wrap=tls_ctx_new $(DAEMON_LIB) \
	    $(CORE_LIB) $(LDLIBS) $(H2_LIBS) -lsystemd -lseccomp

# The store's fault-injection shim for the end-to-end tests (LD_PRELOAD:
# fails the store's writes and fsyncs from the Nth on; see the file).
# Never sanitized: it is preloaded into programs built either way.
$(FAULTSHIM): tests/e2e/lib/faultshim.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CPPFLAGS) -O2 -g -std=c17 $(WARN) -shared -fPIC -o $@ $< \
	    -ldl

# pidfd_open refused (ENOSYS), as under valgrind or an old kernel; see the
# file. Never sanitized either.
$(NOPIDFD): tests/e2e/lib/nopidfd.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CPPFLAGS) -O2 -g -std=c17 $(WARN) -shared -fPIC -o $@ $< \
	    -ldl

check: all $(INKEY)
	BUILD=$(BUILD) VALGRIND=$(VALGRIND) SANITIZE=$(SANITIZE) tests/run

FUZZTIME  ?= 60
fuzz:
	$(MAKE) -C tests/fuzz fuzz FUZZTIME=$(FUZZTIME)

install: $(PROGS)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) \
	    $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man8
	install -m 0755 $(BUILD)/hsys $(DESTDIR)$(BINDIR)/hsys
	install -m 0755 $(BUILD)/hsysd $(DESTDIR)$(SBINDIR)/hsysd
	install -m 0755 $(BUILD)/hsys-forward $(DESTDIR)$(BINDIR)/hsys-forward
	for m in man/*.1; do install -m 0644 $$m $(DESTDIR)$(MANDIR)/man1/; done
	for m in man/*.8; do [ -e "$$m" ] || continue; \
	    install -m 0644 $$m $(DESTDIR)$(MANDIR)/man8/; done
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR)
	install -m 0644 include/hsys.h $(DESTDIR)$(INCLUDEDIR)/hsys.h
	install -m 0644 $(LIB_A) $(DESTDIR)$(LIBDIR)/libhsys.a
	install -m 0755 $(LIB_SO) $(DESTDIR)$(LIBDIR)/libhsys.so.1
	ln -sf libhsys.so.1 $(DESTDIR)$(LIBDIR)/libhsys.so
	# Made here, not at build time: they name the install's own paths
	# (hsys.pc's relative to ${prefix} where they lie under it, so the
	# tree can be moved).
	sed -e 's|@PREFIX@|$(PREFIX)|' \
	    -e 's|@LIBDIR@|$(patsubst $(PREFIX)/%,$${prefix}/%,$(LIBDIR))|' \
	    -e 's|@INCLUDEDIR@|$(patsubst $(PREFIX)/%,$${prefix}/%,$(INCLUDEDIR))|' \
	    -e 's|@VERSION@|$(VERSION)|' \
	    src/lib/hsys.pc.in >$(DESTDIR)$(LIBDIR)/pkgconfig/hsys.pc
	install -d $(DESTDIR)$(UNITDIR)
	sed -e 's|@SBINDIR@|$(SBINDIR)|' packaging/hsysd.service.in \
	    >$(DESTDIR)$(UNITDIR)/hsysd.service
	sed -e 's|@BINDIR@|$(BINDIR)|' packaging/hsys-forward@.service.in \
	    >$(DESTDIR)$(UNITDIR)/hsys-forward@.service
	install -d $(DESTDIR)$(SYSCONFDIR)/logrotate.d
	install -m 0644 packaging/hsysd.logrotate \
	    $(DESTDIR)$(SYSCONFDIR)/logrotate.d/hsysd
	for e in $(EXAMPLES); do install -m 0755 $(BUILD)/examples/$$e \
	    $(DESTDIR)$(BINDIR)/hsys-$$e; done
	install -d $(DESTDIR)$(PYTHONDIR)/hsys
	install -m 0644 bindings/python/hsys/*.py $(DESTDIR)$(PYTHONDIR)/hsys/
	install -d $(DESTDIR)$(DOCDIR) $(DESTDIR)$(SYSUSERSDIR) \
	    $(DESTDIR)$(TMPFILESDIR) \
	    $(DESTDIR)$(MANDIR)/man3 $(DESTDIR)$(COMPLETIONDIR)
	install -m 0644 man/hsys.3 $(DESTDIR)$(MANDIR)/man3/hsys.3
	install -m 0644 packaging/hsys.bash-completion \
	    $(DESTDIR)$(COMPLETIONDIR)/hsys
	install -m 0644 README.md docs/*.md $(DESTDIR)$(DOCDIR)/
	install -m 0644 packaging/hsys.sysusers $(DESTDIR)$(SYSUSERSDIR)/hsys.conf
	install -m 0644 packaging/hsys.tmpfiles $(DESTDIR)$(TMPFILESDIR)/hsys.conf
	# On the machine itself (no DESTDIR), as root, into the system's own
	# prefixes: the new library in ld.so's cache, the system user
	# and its log directory, now rather than at next boot. (A private
	# PREFIX is read by none.)
	if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ] && \
	    { [ "$(PREFIX)" = /usr ] || [ "$(PREFIX)" = /usr/local ]; }; then \
	    ldconfig; \
	    ! command -v systemd-sysusers >/dev/null || \
	        systemd-sysusers $(SYSUSERSDIR)/hsys.conf; \
	    ! command -v systemd-tmpfiles >/dev/null || \
	        systemd-tmpfiles --create $(TMPFILESDIR)/hsys.conf; \
	fi

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/hsys $(DESTDIR)$(SBINDIR)/hsysd
	rm -f $(DESTDIR)$(BINDIR)/hsys-forward \
	    $(DESTDIR)$(UNITDIR)/hsys-forward@.service
	for e in $(EXAMPLES); do rm -f $(DESTDIR)$(BINDIR)/hsys-$$e; done
	rm -f $(DESTDIR)$(INCLUDEDIR)/hsys.h $(DESTDIR)$(LIBDIR)/libhsys.* \
	    $(DESTDIR)$(LIBDIR)/pkgconfig/hsys.pc \
	    $(DESTDIR)$(UNITDIR)/hsysd.service \
	    $(DESTDIR)$(SYSCONFDIR)/logrotate.d/hsysd
	for m in man/*.1; do rm -f $(DESTDIR)$(MANDIR)/man1/$${m#man/}; done
	for m in man/*.8; do rm -f $(DESTDIR)$(MANDIR)/man8/$${m#man/}; done
	rm -rf $(DESTDIR)$(PYTHONDIR)/hsys $(DESTDIR)$(DOCDIR)
	rm -f $(DESTDIR)$(SYSUSERSDIR)/hsys.conf \
	    $(DESTDIR)$(TMPFILESDIR)/hsys.conf \
	    $(DESTDIR)$(MANDIR)/man3/hsys.3 $(DESTDIR)$(COMPLETIONDIR)/hsys

clean:
	rm -rf build build-san build-fuzz

-include $(shell find $(BUILD)/obj $(BUILD)/pic -name '*.d' 2>/dev/null)
