# ENMA - sender-domain authentication for Postfix, Sendmail, Exim, OpenSMTPD
#
#   make            build libenma, the milter and the tools
#   make check      every test: unit, conformance, sanitizers, fuzz, MTAs
#   make demo       real Postfix + enma + a DNS server on loopback
#   make bench      rates against peers, measured in the same run
#   make fuzz       the libFuzzer targets, longer (FUZZTIME seconds each)
#   make install    PREFIX=/usr/local DESTDIR=
#
# Sources are found by wildcard: a new core module is core/src/NAME.c, a
# unit test tests/unit/test_NAME.c, a fuzz target tests/fuzz/fuzz_NAME.c.

PREFIX	?= /usr/local
SBINDIR	?= $(PREFIX)/sbin
BINDIR	?= $(PREFIX)/bin
MANDIR	?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
DESTDIR	?=

CC	?= cc
B	?= build
OPT	?= -O2 -g
SAN	?=

CSTD	= -std=c11 -D_POSIX_C_SOURCE=200809L
WARN	= -Wall -Wextra -Wshadow -Wpointer-arith -Wcast-qual \
	  -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wvla \
	  -Wimplicit-fallthrough -Werror
HARDEN	= -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIC
ALL_CFLAGS = $(CSTD) $(WARN) $(HARDEN) $(OPT) $(SAN) -fvisibility=hidden \
	  -Icore/include -Icore/src $(CFLAGS)
ALL_LDFLAGS = -Wl,-z,relro,-z,now $(SAN) $(LDFLAGS)
LIBS	= -lldns -lcrypto -lpthread

CORE_SRC = $(wildcard core/src/*.c)
CORE_OBJ = $(CORE_SRC:%.c=$(B)/%.o)
LIBENMA	= $(B)/libenma.a

TOOLS	= $(patsubst tools/%.c,$(B)/%,$(wildcard tools/*.c))
MILTER	= $(B)/enma
MILTER_SRC = $(wildcard plugins/milter/*.c)
# Exim's local_scan object (exim4-dev's header, local_scan ABI 6).  Exim's
# header has old-style prototypes: -isystem keeps our warnings off them.
# Only local_scan and the version functions are exported (nm -D).
EXIM_SO	= $(B)/enma_exim.so
EXIM_SRC = $(wildcard plugins/exim/*.c)
EXIM_INC ?= /usr/include/exim4
LIBDIR	?= $(PREFIX)/lib
# filter-enma, the OpenSMTPD filter (smtpd runs it: proc-exec)
SMTPD_FILTER = $(B)/filter-enma
SMTPD_SRC = $(wildcard plugins/opensmtpd/*.c)
LIBEXECDIR ?= $(PREFIX)/libexec

UNIT_SRC = $(wildcard tests/unit/test_*.c)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
SUITE_BIN = $(B)/tests/spf-suite $(B)/tests/dkim-suite

FUZZ_SRC = $(wildcard tests/fuzz/fuzz_*.c)
FUZZTIME ?= 60

.SECONDARY:

.PHONY: all lib tools milter tests check demo bench fuzz install clean \
	deps format format-check exim asan fuzz-build

all: lib tools milter exim opensmtpd

lib: $(LIBENMA)
tools: $(TOOLS)
milter: $(if $(MILTER_SRC),$(MILTER))
exim: $(if $(EXIM_SRC),$(EXIM_SO))
tests: $(UNIT_BIN) $(SUITE_BIN) $(B)/tests/dns-ldns-test

$(B)/%.o: %.c $(wildcard core/include/enma/*.h core/src/*.h)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIBENMA): $(CORE_OBJ)
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $(CORE_OBJ)

# tools/lib: what the command-line programs share (usage, JSON, -v trace)
TOOLS_LIB = $(patsubst %.c,$(B)/%.o,$(wildcard tools/lib/*.c))

$(TOOLS): $(B)/%: $(B)/tools/%.o $(TOOLS_LIB) $(LIBENMA)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(TOOLS_LIB) $(LIBENMA) $(LIBS)

$(MILTER): $(MILTER_SRC:%.c=$(B)/%.o) $(LIBENMA)
	$(CC) $(ALL_LDFLAGS) -o $@ $(MILTER_SRC:%.c=$(B)/%.o) $(LIBENMA) \
	    -lmilter $(LIBS)

$(B)/plugins/exim/%.o: plugins/exim/%.c plugins/exim/exim.h \
    $(wildcard core/include/enma/*.h)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -isystem $(EXIM_INC) -c -o $@ $<

# No -Wl,--no-undefined: Exim's API resolves from the exim4 executable.
$(EXIM_SO): $(EXIM_SRC:%.c=$(B)/%.o) $(LIBENMA)
	$(CC) -shared $(ALL_LDFLAGS) -o $@ $(EXIM_SRC:%.c=$(B)/%.o) \
	    $(LIBENMA) $(LIBS)

.PHONY: opensmtpd
opensmtpd: $(if $(SMTPD_SRC),$(SMTPD_FILTER))

$(SMTPD_FILTER): $(SMTPD_SRC:%.c=$(B)/%.o) $(LIBENMA)
	$(CC) $(ALL_LDFLAGS) -o $@ $(SMTPD_SRC:%.c=$(B)/%.o) $(LIBENMA) $(LIBS)

$(SMTPD_SRC:%.c=$(B)/%.o): $(wildcard plugins/opensmtpd/*.h)
# the protocol's unit test and fuzz target include proto.c itself
$(B)/tests/unit/test_smtpd_proto.o: plugins/opensmtpd/proto.c \
    plugins/opensmtpd/proto.h

# the Exim adapter's unit test includes exim_msg.c, with Exim's header
$(B)/tests/unit/test_exim_msg.o: tests/unit/test_exim_msg.c \
    plugins/exim/exim_msg.c plugins/exim/exim.h \
    $(wildcard core/include/enma/*.h)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -isystem $(EXIM_INC) -c -o $@ $<

$(B)/tests/test_%: $(B)/tests/unit/test_%.o $(LIBENMA)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIBENMA) $(LIBS)

$(B)/tests/spf-suite: $(B)/tests/conformance/spf_suite.o $(LIBENMA)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIBENMA) -lyaml $(LIBS)

$(B)/tests/dkim-suite: $(B)/tests/conformance/dkim_suite.o $(LIBENMA)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIBENMA) -lyaml $(LIBS)

$(B)/tests/dns-ldns-test: $(B)/tests/dnsprobe/dns_ldns_test.o $(LIBENMA)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIBENMA) $(LIBS)

# The same tests under AddressSanitizer and UndefinedBehaviorSanitizer,
# and the daemons (enma, filter-enma) for test_sanitized_daemons.sh.
asan:
	$(MAKE) B=build/asan CC=clang OPT="-O1 -g -fno-omit-frame-pointer" \
	    SAN="-fsanitize=address,undefined -fno-sanitize-recover=all" \
	    tests tools milter opensmtpd

# libFuzzer targets: core compiled with coverage, one binary per target.
FUZZ_B	= build/fuzz
fuzz-build:
	$(MAKE) B=$(FUZZ_B) CC=clang OPT="-O1 -g" \
	    SAN="-fsanitize=fuzzer-no-link,address,undefined" lib
	@mkdir -p $(FUZZ_B)/bin
	@set -e; for f in $(FUZZ_SRC); do \
	    n=$$(basename $$f .c); \
	    clang $(CSTD) $(WARN) -O1 -g -Icore/include -Icore/src \
		-fsanitize=fuzzer,address,undefined -o $(FUZZ_B)/bin/$$n $$f \
		$(FUZZ_B)/libenma.a $(LIBS); \
	done

fuzz: fuzz-build
	FUZZTIME=$(FUZZTIME) sh tests/fuzz/run.sh $(FUZZ_B)/bin

check: deps
	bash tests/check.sh

demo: deps all
	bash scripts/demo.sh

bench: deps
	$(MAKE) -C bench

deps:
	@bash scripts/deps.sh $(DEPS_ARGS)

# The man pages, the systemd unit and the MTA snippets name the paths of
# the default PREFIX, /usr/local; they are installed with those paths
# made the ones of this installation.  The unit goes where systemd looks
# ($(PREFIX)/lib/systemd/system: /usr/local/lib/..., or /usr/lib/... for
# PREFIX=/usr), the snippets and a pristine enma.conf to DOCDIR.
DOCDIR	?= $(PREFIX)/share/doc/enma
UNITDIR	?= $(PREFIX)/lib/systemd/system
INSTALL_PATHS = sed -e 's|/usr/local/sbin/|$(SBINDIR)/|g' \
	    -e 's|/usr/local/bin/|$(BINDIR)/|g' \
	    -e 's|/usr/local/libexec/|$(LIBEXECDIR)/|g' \
	    -e 's|/usr/local/lib/systemd/system/|$(UNITDIR)/|g' \
	    -e 's|/usr/local/lib/|$(LIBDIR)/|g' \
	    -e 's|/usr/local/share/doc/enma/|$(DOCDIR)/|g' \
	    -e 's|/usr/local/|$(PREFIX)/|g'
MAN_PAGES = doc/sidfquery.1 doc/enma-check.1 doc/enma.conf.5 doc/enma.8 \
	    doc/filter-enma.8 doc/enma_exim.8
DOC_FILES = conf/enma.conf conf/postfix-main.cf.snippet \
	    conf/sendmail.mc.snippet conf/exim4.conf.snippet \
	    conf/smtpd.conf.snippet conf/enma.service

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) \
	    $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(SYSCONFDIR)/enma \
	    $(DESTDIR)$(DOCDIR) $(DESTDIR)$(UNITDIR)
	install -m 755 $(MILTER) $(DESTDIR)$(SBINDIR)/enma
	[ ! -x $(SMTPD_FILTER) ] || { install -d $(DESTDIR)$(LIBEXECDIR)/enma \
	    && install -m 755 $(SMTPD_FILTER) $(DESTDIR)$(LIBEXECDIR)/enma/; }
	install -m 755 $(B)/sidfquery $(DESTDIR)$(BINDIR)/sidfquery
	[ ! -x $(B)/enma-check ] || \
	    install -m 755 $(B)/enma-check $(DESTDIR)$(BINDIR)/enma-check
	[ ! -f $(EXIM_SO) ] || { install -d $(DESTDIR)$(LIBDIR)/enma && \
	    install -m 644 $(EXIM_SO) $(DESTDIR)$(LIBDIR)/enma/; }
	@set -e; for f in $(MAN_PAGES); do \
	    d=$(DESTDIR)$(MANDIR)/man$${f##*.}/$${f#doc/}; \
	    echo "$$f -> $$d"; $(INSTALL_PATHS) $$f >$$d; chmod 644 $$d; \
	done
	@set -e; for f in $(DOC_FILES); do \
	    d=$(DESTDIR)$(DOCDIR)/$${f#conf/}; \
	    echo "$$f -> $$d"; $(INSTALL_PATHS) $$f >$$d; chmod 644 $$d; \
	done
	$(INSTALL_PATHS) conf/enma.service >$(DESTDIR)$(UNITDIR)/enma.service
	chmod 644 $(DESTDIR)$(UNITDIR)/enma.service
	[ -e $(DESTDIR)$(SYSCONFDIR)/enma/enma.conf ] || \
	    install -m 644 conf/enma.conf $(DESTDIR)$(SYSCONFDIR)/enma/enma.conf

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

format-check:
	@bash scripts/format-check.sh

clean:
	rm -rf build
	$(MAKE) -C bench clean
