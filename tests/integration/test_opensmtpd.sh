#!/usr/bin/env bash
# test_opensmtpd.sh - filter-enma behind real OpenSMTPD 6.8, and on its own
#
#	bash tests/integration/test_opensmtpd.sh
#
# Two parts.  First the protocol without smtpd: filter-enma driven over
# its stdin and stdout by a small Python program (PIPE_PY below), for
# what no smtpd run produces on demand: protocol 0.7 and SMTP AUTH
# (smtpd 6.8's TLS fails with OpenSSL 3, and it offers AUTH over TLS
# only), a major version it must refuse, binary bytes and NUL, '|' in
# lines, a 65,000-byte line and one past the reader's 1 MiB bound, a
# session that ends mid-message, tx-rollback mid-message, the spill
# file, a full queue, smtpd's session timeout capping the DNS budget.
#
# Then Debian's OpenSMTPD 6.8.0p2, unpacked and run as RECIPES.md section 6
# shows (it_smtpd_start), with filter-enma as its proc-exec filter,
# unbound serving zones/example.org.zone on loopback and swaks as the
# client: every scenario of the table below, checked in the DELIVERED
# message.  The expected verdicts are those test_milter.sh derives from
# RFC 7208 (SPF), RFC 4406/4407 (Sender ID) and RFC 8601 for the zone;
# the body bytes are checked against what was sent, and DKIM signatures
# made by dkimpy (python3-dkim, a third party) before sending are checked
# by dkimpy after delivery: dot-stuffing undone and redone exactly.
# Then the ordering test: a session whose DNS never answers does not
# hold up a later one, which is delivered first; and the DNS server gone:
# temperror, still delivered.  Needs root and `scripts/deps.sh mta`.
# Prints "N passed, N failed".
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
. "$HERE/lib.sh"

FILTER=${ENMA_FILTER:-$TOP/build/filter-enma}
AUTHSERV=mx.example.test
PY=/usr/bin/python3	# Debian's, with python3-dkim

# Scenarios.  Columns: name, client address (::1 = IPv6), HELO name, MAIL
# FROM ('<>' = null sender), message template (msgs/NAME.eml, or @NAME:
# made below by make_templates), From: address, Sender: address ('-' =
# none), preparation before sending, then the checks on the delivered
# message.
# Preparations:
#   -             none
#   dkim          signed by dkimpy: d=example.org s=sel, c=simple/simple,
#                 with the key whose record is served in the zone
#   dkim-broken   signed, then a body line appended (the signature breaks)
# Checks:
#   METHOD=RESULT   our Authentication-Results has that verdict
#   PTYPE.PROP=VAL  ... and that property (RFC 8601 2.2)
#   re:ERE          ... matches ERE (lower-cased header)
#   no-ours         no Authentication-Results with our authserv-id
#   one-ours        exactly one, and it is ours
#   foreign         the other.example.net field is still there
#   no-forged       no trace of the forged fields' text
#   top             ours is above smtpd's Received: (DESIGN; PITFALLS 9)
#   bytes           the delivered body is the body sent, byte for byte
#   bytes-cut       ... but for lines smtpd 6.8 cuts: it copies each line
#                   a filter answers into char buffer[LINE_MAX] (2,048;
#                   lka_filter.c, fixed in 7.x), so 1,997 bytes of text
#                   are left after "filter-dataline|SESSION|TOKEN|"
#                   whatever the filter sends (the pipe part shows that
#                   filter-enma sends the whole line)
#   dkimpy          dkimpy verifies the delivered message's signature
#   dkimpy-fails    ... and finds it broken
# To add a DKIM case once the engine verifies DKIM: a row with prep dkim
# and the check dkim=pass header.d=example.org (or dkim-broken, dkim=fail).
# Client 127.0.0.1 is excluded (common.exclusion_addresses=127.0.0.1).
SCENARIOS=$(cat <<'TABLE'
pass       127.0.0.2 client.example.org alice@spf-pass.example.org     basic  alice@spf-pass.example.org  - - spf=pass smtp.mailfrom=alice@spf-pass.example.org sender-id=pass header.from=alice@spf-pass.example.org one-ours top bytes
fail       127.0.0.2 client.example.org alice@spf-fail.example.org     basic  alice@spf-fail.example.org  - - spf=fail smtp.mailfrom=alice@spf-fail.example.org sender-id=fail one-ours top
softfail   127.0.0.2 client.example.org alice@spf-softfail.example.org basic alice@spf-softfail.example.org - - spf=softfail sender-id=softfail one-ours
neutral    127.0.0.2 client.example.org alice@spf-neutral.example.org  basic  alice@spf-neutral.example.org - - spf=neutral sender-id=neutral one-ours
none       127.0.0.2 client.example.org alice@spf-none.example.org     basic  alice@spf-none.example.org  - - spf=none sender-id=none one-ours
permerror  127.0.0.2 client.example.org alice@spf-permerror.example.org basic alice@spf-permerror.example.org - - spf=permerror sender-id=permerror one-ours
include    127.0.0.2 client.example.org alice@spf-include.example.org  basic  alice@spf-pass.example.org  - - spf=pass smtp.mailfrom=alice@spf-include.example.org one-ours
# DNS errors: SERVFAIL, and no answer at all (RFC 7208 2.6.6, 4.4); the
# PRA's domain answers, so Sender ID still passes.
servfail   127.0.0.2 client.example.org alice@servfail.example.org     basic  alice@spf-pass.example.org  - - spf=temperror sender-id=pass one-ours
timeout    127.0.0.2 client.example.org alice@timeout.example.org      basic  alice@spf-pass.example.org  - - spf=temperror sender-id=pass one-ours
# Null sender: the identity is postmaster@<HELO name> (RFC 7208 2.4).
null       127.0.0.2 helo-pass.example.org <>                          basic  alice@spf-pass.example.org  - - spf=pass re:smtp\.(mailfrom=postmaster@|helo=)helo-pass\.example\.org one-ours
ipv6       ::1       client.example.org alice@spf-v6.example.org       basic  alice@spf-v6.example.org    - - spf=pass sender-id=pass one-ours
# Excluded client: nothing added, the forged field still removed.
excluded   127.0.0.1 client.example.org alice@spf-pass.example.org     forged-excluded alice@spf-pass.example.org - - no-ours no-forged bytes
# Two forged fields with our authserv-id (one in another case), one
# foreign: both of ours gone with their continuation lines, the foreign
# kept, our verdict added.
forged     127.0.0.2 client.example.org alice@spf-fail.example.org     forged-two alice@spf-fail.example.org - - one-ours spf=fail sender-id=fail foreign no-forged top bytes
# Sender ID (RFC 4406, 4407): spf2.0/pra records; the PRA is From:, or
# Sender: when there is one (RFC 4407 2).
sid-pass   127.0.0.2 client.example.org alice@spf-none.example.org     basic  alice@sid-pass.example.org  - - sender-id=pass header.from=alice@sid-pass.example.org spf=none one-ours
sid-fail   127.0.0.2 client.example.org alice@spf-pass.example.org     basic  alice@sid-fail.example.org  - - sender-id=fail header.from=alice@sid-fail.example.org spf=pass one-ours
sid-sender 127.0.0.2 client.example.org alice@spf-pass.example.org     sender alice@sid-fail.example.org bob@sid-pass.example.org - sender-id=pass header.sender=bob@sid-pass.example.org spf=pass one-ours
# Body lines starting with a dot (RFC 5321 4.5.2): smtpd hands them over
# stuffed, the filter echoes them stuffed, the mailbox has them as sent.
dots       127.0.0.2 client.example.org alice@spf-pass.example.org     @dots  alice@spf-pass.example.org  - - spf=pass one-ours top bytes
# One body line of 65,000 bytes (libopensmtpd stops near 65,450).
longline   127.0.0.2 client.example.org alice@spf-pass.example.org     @longline alice@spf-pass.example.org - - spf=pass one-ours bytes-cut
# DKIM-signed by dkimpy, dots in the body: intact on delivery.
dkim-dots  127.0.0.2 client.example.org alice@spf-pass.example.org     @dots  alice@spf-pass.example.org  - dkim spf=pass one-ours bytes dkimpy dkim=pass
dkim-bad   127.0.0.2 client.example.org alice@spf-pass.example.org     basic  alice@spf-pass.example.org  - dkim-broken spf=pass one-ours dkimpy-fails dkim=fail
TABLE
)
# Sent after the DNS server is stopped: still delivered, with temperror.
SCENARIO_DNS_DOWN='dns-down 127.0.0.2 client.example.org alice@spf-pass.example.org basic alice@spf-pass.example.org - - spf=temperror sender-id=temperror one-ours top'

# "filter-dataline|" and two 16-digit ids with their '|'
SMTPD68_PREFIX='filter-dataline|0123456789abcdef|0123456789abcdef|'

# The DKIM key of the prep column: made per run, its record served by
# unbound as sel._domainkey.example.org (RECIPES.md section 8).
DKIM_KEY=
DKIM_ZONE=

# --- helpers ------------------------------------------------------------------

# make_templates - the @NAME templates: body lines with dots, a long line.
# No final newline: swaks ends the data with CRLF itself (RECIPES.md 9).
make_templates()
{
	local t=$IT_DIR/tmpl
	mkdir -p "$t"
	printf '%s\n' 'From: Alice <@FROM@>' 'To: Bob <bob@example.test>' \
	    'Subject: enma test @TESTID@ (body lines with dots)' \
	    'Date: Mon, 01 Jan 2024 10:00:00 +0000' \
	    'Message-ID: <@TESTID@@client.example.org>' \
	    'X-Enma-Test: @TESTID@' '' '.leading dot' '..two leading dots' \
	    '.' ' .' '...' 'a.b' '.' >"$t/dots.eml"
	printf '%s' 'last line' >>"$t/dots.eml"
	{
		printf '%s\n' 'From: Alice <@FROM@>' 'To: Bob <bob@example.test>' \
		    'Subject: enma test @TESTID@ (a 65,000-byte line)' \
		    'Date: Mon, 01 Jan 2024 10:00:00 +0000' \
		    'Message-ID: <@TESTID@@client.example.org>' \
		    'X-Enma-Test: @TESTID@' '' 'before'
		head -c 65000 /dev/zero | tr '\0' 'L'
		printf '\n%s' 'after'
	} >"$t/longline.eml"
}

# make_dkim_key - the key and its record, as unbound local-data lines
make_dkim_key()
{
	local p
	DKIM_KEY=$IT_DIR/dkim.key
	DKIM_ZONE=$IT_DIR/dkim.conf
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
	    2>/dev/null | openssl rsa -traditional -out "$DKIM_KEY" 2>/dev/null ||
	    return 1
	p=$(openssl rsa -in "$DKIM_KEY" -pubout -outform DER 2>/dev/null |
	    base64 -w0) || return 1
	# one TXT string holds at most 255 bytes: 200 + the rest
	printf "local-data: 'sel._domainkey.example.org. 300 IN TXT \"v=DKIM1; k=rsa; p=%s\" \"%s\"'\n" \
	    "${p:0:200}" "${p:200}" >"$DKIM_ZONE"
}

# dkim_py sign|broken|verify FILE - dkimpy on a data file (LF line ends;
# as swaks sends it: CRLF, and a CRLF after the last line) or on a
# delivered one (LF; the lines smtpd put on top are not signed)
DKIM_PY=$(cat <<'PYEOF'
import base64, subprocess, sys
import dkim
mode, path, keyfile = sys.argv[1], sys.argv[2], sys.argv[3]
key = open(keyfile, "rb").read()
pub = subprocess.run(["openssl", "rsa", "-in", keyfile, "-pubout",
                      "-outform", "DER"], capture_output=True).stdout
record = b"v=DKIM1; k=rsa; p=" + base64.b64encode(pub)
data = open(path, "rb").read()
if mode == "verify":
    ok = dkim.verify(data.replace(b"\n", b"\r\n"),
                     dnsfunc=lambda name, timeout=5: record)
    sys.exit(0 if ok else 1)
wire = data.replace(b"\n", b"\r\n") + b"\r\n"
sig = dkim.sign(wire, b"sel", b"example.org", key,
                include_headers=[b"from", b"to", b"subject", b"date",
                                 b"message-id"],
                canonicalize=(b"simple", b"simple"), linesep=b"\n")
if mode == "broken":
    data += b"\nappended after signing"
open(path, "wb").write(sig + data)
PYEOF
)

dkim_py() { "$PY" -c "$DKIM_PY" "$1" "$2" "$DKIM_KEY"; }

# make_message ID TEMPLATE FROM SENDER - the data file for one send
make_message()
{
	local out=$IT_DIR/msg.$1.eml src=$HERE/msgs/$2.eml
	[[ $2 == @* ]] && src=$IT_DIR/tmpl/${2#@}.eml
	sed -e "s/@TESTID@/$1/g" -e "s/@FROM@/$3/g" -e "s/@SENDER@/$4/g" \
	    "$src" >"$out"
	echo "$out"
}

# prepare ID FILE PREP - the prep column
prepare()
{
	case $3 in
	-) return 0 ;;
	dkim) it_ok "$1: signed by dkimpy" dkim_py sign "$2" ;;
	dkim-broken) it_ok "$1: signed by dkimpy, then changed" \
	    dkim_py broken "$2" ;;
	*) it_fail "$1: unknown preparation $3"; return 1 ;;
	esac
}

# smtpd 6.8 keeps this much of a line a filter answers (see bytes-cut)
SMTPD68_TEXT_MAX=$((2048 - 1 - ${#SMTPD68_PREFIX}))

# body FILE - the body of a data file as it is delivered: swaks ends the
# data with CRLF after the file's last byte, smtpd stores LF line ends
body()
{
	sed '1,/^$/d' "$1"
	echo
}

# same_body ID DELIVERED SENT [CUT] - the delivered body is the sent one
same_body()
{
	local what="body delivered byte for byte" cut=${4:-0}
	[ "$cut" = 0 ] || what="body delivered as sent, lines cut to $cut bytes"
	if cmp -s <(sed '1,/^$/d' "$2") <(body "$3" | cut_lines "$cut"); then
		it_pass "$1: $what"
	else
		it_fail "$1: $what" "$(cmp <(sed '1,/^$/d' "$2") \
		    <(body "$3" | cut_lines "$cut") 2>&1)"
	fi
}

# cut_lines N - every line cut to N bytes (0: unchanged)
cut_lines()
{
	if [ "$1" = 0 ]; then
		cat
	else
		LC_ALL=C awk -v n="$1" '{ print substr($0, 1, n) }'
	fi
}

# check ID FILE TOKEN SENT - one expectation on a delivered message: the
# shared ones (it_check_delivered), or the delivered bytes, dkimpy's view
check()
{
	local id=$1 f=$2 t=$3 sent=$4
	case $t in
	bytes) same_body "$id" "$f" "$sent" ;;
	bytes-cut) same_body "$id" "$f" "$sent" "$SMTPD68_TEXT_MAX" ;;
	dkimpy) it_ok "$id: dkimpy verifies the delivered message" \
	    dkim_py verify "$f" ;;
	dkimpy-fails) it_rc "$id: dkimpy finds the signature broken" 1 \
	    dkim_py verify "$f" ;;
	*) it_check_delivered "$id" "$f" "$t" "smtpd's" ;;
	esac
}

# scenario LINE - send one table line to smtpd and check the delivery
scenario()
{
	local name src helo mfrom tmpl from sender prep expect id data f t
	local net=()
	read -r name src helo mfrom tmpl from sender prep expect <<<"$1"
	id=smtpd-$name
	if [ "$src" = ::1 ]; then
		if [ "$IT_IPV6" != 1 ]; then
			it_fail "$id: IPv6 client" "::1 is not configured on lo"
			return
		fi
		net=(--ipv6 --source ::1)
	else
		net=(--source "$src")
	fi
	data=$(make_message "$id" "$tmpl" "$from" "$sender")
	prepare "$id" "$data" "$prep" || return
	it_ok "$id: message accepted" it_send "$IT_SMTPD_PORT" "${net[@]}" \
	    --helo "$helo" --from "$mfrom" --data "$data"
	f=$(it_smtpd_wait_delivered "^X-Enma-Test: ${id}[[:space:]]*$")
	if [ -z "$f" ]; then
		it_fail "$id: message delivered"
		return
	fi
	it_pass "$id: message delivered"
	for t in $expect; do
		check "$id" "$f" "$t" "$data"
	done
}

# run_table TABLE - every scenario line of TABLE
run_table()
{
	local line
	while IFS= read -r line; do
		[[ $line =~ ^[[:space:]]*(#|$) ]] && continue
		scenario "$line"
	done <<<"$1"
}

# dns_asked NAME - unbound got a query for NAME
dns_asked() { it_dns_queries | grep -qi "^$1\.\? "; }

# order_test - session 1 waits on a name the DNS never answers; session 2,
# sent after it, is delivered while session 1 is still pending
order_test()
{
	local d1 d2 spid rc f1 f2 early l1 l2
	d1=$(make_message order-1 basic alice@spf-pass.example.org -)
	d2=$(make_message order-2 basic alice@spf-pass.example.org -)
	it_send "$IT_SMTPD_PORT" --source 127.0.0.2 \
	    --from alice@order.timeout.example.org --data "$d1" &
	spid=$!
	_IT_SENDS=$((_IT_SENDS + 1))	# the background it_send's transcript
	# Session 1 is at its end of message once its SPF query is out.
	it_ok "order: session 1 waits on the DNS" it_wait_until 15 \
	    dns_asked order.timeout.example.org
	it_ok "order: session 2 accepted" it_send "$IT_SMTPD_PORT" \
	    --source 127.0.0.2 --from alice@spf-pass.example.org --data "$d2"
	f2=$(it_smtpd_wait_delivered '^X-Enma-Test: order-2[[:space:]]*$')
	early=$(_it_smtpd_find '^X-Enma-Test: order-1[[:space:]]*$')
	it_ok "order: session 2 delivered" test -n "$f2"
	it_eq "order: session 1 not delivered yet when session 2 is" "" \
	    "$early"
	wait "$spid"
	rc=$?
	it_eq "order: session 1 accepted" 0 "$rc"
	f1=$(it_smtpd_wait_delivered '^X-Enma-Test: order-1[[:space:]]*$')
	if [ -z "$f1" ]; then
		it_fail "order: session 1 delivered after all"
	else
		it_pass "order: session 1 delivered after all"
		check order-1 "$f1" spf=temperror "$d1"
		check order-1 "$f1" sender-id=pass "$d1"
	fi
	# the filter's own log: session 2's line first
	l1=$(grep -n "session=$(sess_of "$f1") " "$IT_DIR/smtpd/smtpd.out" |
	    head -1 | cut -d: -f1)
	l2=$(grep -n "session=$(sess_of "$f2") " "$IT_DIR/smtpd/smtpd.out" |
	    head -1 | cut -d: -f1)
	if [ -n "$l1" ] && [ -n "$l2" ] && [ "$l2" -lt "$l1" ]; then
		it_pass "order: the filter answered session 2 first"
	else
		it_fail "order: the filter answered session 2 first" \
		    "log lines: session 1 at ${l1:-none}, session 2 at ${l2:-none}"
	fi
}

# sess_of FILE - smtpd's session id of a delivered message, from its
# Received: "... with ESMTP id MSGID" and smtpd's log of that message id
sess_of()
{
	local msgid
	[ -n "$1" ] || return
	msgid=$(grep -m1 -oE 'with ESMTP id [0-9a-f]{8}' "$1" | awk '{ print $4 }')
	[ -n "$msgid" ] || return
	awk -v m="msgid=$msgid" '$0 ~ m && / smtp message / { print $1; exit }' \
	    "$IT_DIR/smtpd/smtpd.out"
}

# The protocol without smtpd (see the top of this file).
PIPE_PY=$(cat <<'PYEOF'
#!/usr/bin/python3
# pipe.py - filter-enma driven over its stdin and stdout, as smtpd
# drives it, for what no smtpd run produces on demand: protocol 0.7,
# SMTP AUTH, versions smtpd never sends, binary bytes, lines past smtpd's
# own limit, sessions that end mid-message, a full queue, the spill file.
#
#	pipe.py FILTER DNS_PORT TMPDIR
#
# The line formats are those of smtpd-filters(7) (0.7) and of Debian's
# OpenSMTPD 6.8.0p2 (0.6, ../../../shared/mta/RECIPES.md section 6); the
# verdicts those of RFC 7208 for zones/example.org.zone; dot-stuffing
# RFC 5321 4.5.2.  Prints "ok      NAME" or "FAILED  NAME: why" per check
# (test_opensmtpd.sh counts them).  Every wait is bounded.
import os
import queue
import re
import subprocess
import sys
import threading
import time

FILTER, DNS_PORT, TMPDIR = sys.argv[1], sys.argv[2], sys.argv[3]
AUTHSERV = b"mx.example.test"
TOKEN = b"f8c2c299ccf7cf81"
WAIT = 20  # seconds any one expected answer may take

BASE = ["-c", "/dev/null",
        "-o", "authresult.identifier=" + AUTHSERV.decode(),
        "-o", "common.exclusion_addresses=127.0.0.1",
        "-o", "dns.nameservers=127.0.0.1", "-o", "dns.port=" + DNS_PORT,
        "-o", "dns.timeout=2", "-o", "dns.retries=1",
        "-o", "dns.message_timeout=4", "-o", "opensmtpd.tmpdir=" + TMPDIR]

failures = 0


def report(ok, name, why=""):
    global failures
    if ok:
        print("ok      " + name, flush=True)
    else:
        failures += 1
        print("FAILED  %s: %s" % (name, why), flush=True)


class Filter:
    """One filter-enma process, its output lines in a queue."""

    def __init__(self, extra=()):
        self.p = subprocess.Popen([FILTER] + BASE + list(extra),
                                  stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE)
        self.q = queue.Queue()
        self.err = []
        self.kept = []
        threading.Thread(target=self._out, daemon=True).start()
        threading.Thread(target=self._err, daemon=True).start()

    def _out(self):
        for line in self.p.stdout:
            self.q.put(line.rstrip(b"\n"))
        self.q.put(None)

    def _err(self):
        for line in self.p.stderr:
            self.err.append(line.decode("utf-8", "replace"))

    def send(self, data):
        try:
            self.p.stdin.write(data)
            self.p.stdin.flush()
        except BrokenPipeError:
            pass

    def line(self, timeout=WAIT):
        """The next output line (kept ones first), or None."""
        if self.kept:
            return self.kept.pop(0)
        try:
            return self.q.get(timeout=timeout)
        except queue.Empty:
            return None

    def config(self, protocol=None, timeout_s=300):
        lines = [b"config|smtpd-version|6.8.0p2"]
        if protocol:
            lines.append(b"config|protocol|" + protocol)
        lines += [b"config|smtp-session-timeout|%d" % timeout_s,
                  b"config|subsystem|smtp-in",
                  b"config|admd|mx.example.test", b"config|ready"]
        self.send(b"\n".join(lines) + b"\n")
        regs = []
        while True:
            l = self.line()
            if l is None or l == b"register|ready":
                return regs, l is not None
            regs.append(l)

    def answer(self, sess, timeout=WAIT):
        """The filter-dataline texts for sess up to its ".", in order;
        other sessions' lines are kept for later."""
        out, other = [], []
        end = time.time() + timeout
        prefix = b"filter-dataline|" + sess + b"|" + TOKEN + b"|"
        while time.time() < end:
            l = self.line(max(0.01, end - time.time()))
            if l is None:
                break
            if not l.startswith(prefix):
                other.append(l)
                continue
            text = l[len(prefix):]
            if text == b".":
                self.kept = other + self.kept
                return out
            out.append(text)
        self.kept = other + self.kept
        return None

    def close(self, timeout=15):
        try:
            self.p.stdin.close()
        except BrokenPipeError:
            pass
        try:
            rc = self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
            rc = None
        err = self.stderr()
        if ("Sanitizer" in err or "runtime error" in err or
                re.search(r"^==\d+== ", err, re.M)):
            report(False, "no sanitizer or valgrind report", err[-1000:])
        return rc

    def stderr(self):
        time.sleep(0.2)
        return "".join(self.err)


def sid(n):
    return b"%016x" % (0xc14a4f7838cd2d00 + n)


def rep(sess, event, params=None, v=b"0.6"):
    l = b"report|" + v + b"|1796321233.438743|smtp-in|" + event + b"|" + sess
    if params is not None:
        l += b"|" + params
    return l + b"\n"


def data(sess, text, v=b"0.6"):
    return (b"filter|" + v + b"|1796321233.442805|smtp-in|data-line|" +
            sess + b"|" + TOKEN + b"|" + text + b"\n")


def session(sess, mailfrom, client=b"127.0.0.2", v=b"0.6", auth=None):
    """The reports of a session up to MAIL FROM."""
    src = (b"[" + client + b"]" if b":" in client else client) + b":40000"
    if client.startswith(b"unix:"):
        src = client
    s = rep(sess, b"link-connect", b"<unknown>|fail|" + src +
            b"|127.0.0.1:25", v)
    s += rep(sess, b"link-identify", b"EHLO|client.example.org", v)
    if auth is not None:
        s += rep(sess, b"link-auth", auth, v)
    s += rep(sess, b"tx-begin", b"4f22fca4", v)
    s += rep(sess, b"tx-mail", b"4f22fca4|ok|" + mailfrom, v)
    return s


def message(sess, lines, v=b"0.6", end=True):
    """data-lines: smtpd's Received first, then lines (already stuffed)."""
    s = data(sess, b"Received: from client.example.org (<unknown> "
             b"[127.0.0.2])", v)
    s += data(sess, b"\tby mx.example.test (OpenSMTPD) with ESMTP id "
              b"4f22fca4", v)
    for l in lines:
        s += data(sess, l, v)
    if end:
        s += data(sess, b".", v)
    return s


BASIC = [b"From: Alice <alice@spf-pass.example.org>", b"Subject: pipe",
         b"", b"hello"]


def ours(ans):
    """Our header's lines at the top of an answer, and the rest."""
    if not ans or not ans[0].startswith(b"Authentication-Results: " +
                                        AUTHSERV + b";"):
        return [], ans or []
    n = 1
    while n < len(ans) and ans[n][:1] == b"\t":
        n += 1
    return ans[:n], ans[n:]


def fallback(why):
    """The header of a message not verified, as smtpd gets its lines:
    every method on by default (spf, sender-id, dkim, dkim-adsp), result
    temperror, the reason a comment, no property (RFC 8601 2.2), folded
    after each ";" (authres.h)."""
    methods = [b"spf", b"sender-id", b"dkim", b"dkim-adsp"]
    lines = [b"Authentication-Results: " + AUTHSERV + b";"]
    for i, m in enumerate(methods):
        end = b";" if i + 1 < len(methods) else b""
        lines.append(b"\t" + m + b"=temperror (" + why + b")" + end)
    return lines


def echoed(ans, sent_lines):
    """Everything after our header is what was sent, Received included."""
    _, rest = ours(ans)
    want = [b"Received: from client.example.org (<unknown> [127.0.0.2])",
            b"\tby mx.example.test (OpenSMTPD) with ESMTP id 4f22fca4"]
    return rest == want + sent_lines


def case_register():
    f = Filter()
    regs, ready = f.config()
    want = {b"register|report|smtp-in|" + e for e in
            (b"link-connect", b"link-identify", b"link-auth", b"tx-begin",
             b"tx-mail", b"tx-reset", b"tx-rollback", b"link-disconnect")}
    want.add(b"register|filter|smtp-in|data-line")
    report(ready and set(regs) == want and len(regs) == len(want),
           "registers the 8 reports and the data-line filter, then ready",
           regs)
    f.send(session(sid(1), b"alice@spf-pass.example.org") +
           message(sid(1), BASIC))
    ans = f.answer(sid(1))
    hdr, _ = ours(ans)
    text = b" ".join(hdr)
    report(b"spf=pass" in text and b"sender-id=pass" in text,
           "0.6: spf=pass sender-id=pass", ans)
    report(ans is not None and echoed(ans, BASIC),
           "0.6: every line echoed after our header", ans)
    report(all(l[:1] == b"\t" for l in hdr[1:]) and len(hdr) >= 2,
           "our header: one data-line per folded line", hdr)
    rc = f.close()
    report(rc == 0, "exits 0 when smtpd closes stdin", rc)


def case_v07():
    f = Filter()
    _, ready = f.config(protocol=b"0.7")
    f.send(session(sid(2), b"alice@spf-fail.example.org", v=b"0.7") +
           message(sid(2), BASIC, v=b"0.7"))
    ans = f.answer(sid(2))
    hdr, _ = ours(ans)
    report(ready and b"spf=fail" in b" ".join(hdr),
           "0.7 (config|protocol|0.7): spf=fail", ans)
    # 0.7: link-auth|result|username (smtpd-filters(7))
    forged = [b"Authentication-Results: mx.example.test; spf=pass",
              b"\tsmtp.mailfrom=forged@example.org"] + BASIC
    f.send(session(sid(3), b"alice@spf-fail.example.org", v=b"0.7",
                   auth=b"pass|alice") + message(sid(3), forged, v=b"0.7"))
    ans = f.answer(sid(3))
    hdr, rest = ours(ans)
    report(ans is not None and hdr == [] and echoed(ans, BASIC),
           "0.7 authenticated: no header added, forged one removed", ans)
    f.close()


def case_v06_auth():
    f = Filter()
    f.config()
    # 0.6: link-auth|username|result
    f.send(session(sid(4), b"alice@spf-fail.example.org",
                   auth=b"al|ice|pass") + message(sid(4), BASIC))
    ans = f.answer(sid(4))
    report(ans is not None and ours(ans)[0] == [],
           "0.6 authenticated (user|pass): no header", ans)
    f.send(session(sid(5), b"alice@spf-fail.example.org",
                   auth=b"alice|fail") + message(sid(5), BASIC))
    ans = f.answer(sid(5))
    report(b"spf=fail" in b" ".join(ours(ans)[0]),
           "0.6 failed authentication: verdicts as usual", ans)
    f.send(session(sid(6), b"alice@spf-pass.example.org",
                   client=b"unix:/var/run/smtpd.sock") +
           message(sid(6), BASIC))
    ans = f.answer(sid(6))
    report(b"spf=none" in b" ".join(ours(ans)[0]),
           "local client (unix: socket): spf=none", ans)
    f.close()


def case_refuse(where):
    f = Filter()
    if where == "config":
        f.config(protocol=b"1.0")
    else:
        f.config()
        f.send(rep(sid(7), b"tx-begin", b"4f22fca4", v=b"1.0"))
    rc = f.close()
    err = f.stderr()
    report(rc == 76 and "protocol 1.0" in err and "refusing" in err,
           "major version 1 (%s) refused: exit 76, said on stderr" % where,
           "rc %s, stderr %r" % (rc, err[-300:]))


def case_bytes():
    f = Filter()
    f.config()
    lines = BASIC[:-1] + [b"a|b||c|", b"nul\x00inside", b"\xff\xfe\x80 8bit",
                          b"cr\rinside", b"..leading dot", b"...", b"..",
                          b"\t", b"", b"x" * 65000, b"end|"]
    f.send(session(sid(8), b"alice@spf-pass.example.org") +
           message(sid(8), lines))
    ans = f.answer(sid(8))
    report(ans is not None and echoed(ans, lines),
           "'|', NUL, 8-bit, CR, dots and a 65,000-byte line echoed "
           "byte for byte", None if ans is None else len(ans))
    # Past the reader's bound (1 MiB): cut, logged, still answered.
    big = b"y" * (2 * 1024 * 1024)
    f.send(session(sid(9), b"alice@spf-pass.example.org") +
           message(sid(9), BASIC + [big, b"after"]))
    ans = f.answer(sid(9))
    _, rest = ours(ans)
    report(ans is not None and len(rest) == 2 + len(BASIC) + 2 and
           rest[-1] == b"after" and 0 < len(rest[-2]) < len(big),
           "a 2 MiB line: answered, cut to the reader's bound",
           None if ans is None else [len(x) for x in rest])
    report("cut" in f.stderr(), "the cut is logged", f.stderr()[-300:])
    f.close()


def case_forged():
    f = Filter()
    f.config()
    lines = [b"Authentication-Results: MX.Example.TEST (forged);",
             b"\tspf=pass", b" smtp.mailfrom=forged-one@example.org",
             b"Authentication-Results: other.example.net; spf=fail",
             b"\tsmtp.mailfrom=foreign-kept@example.net",
             b"Authentication-Results: mx.example.test; dkim=pass"] + BASIC
    f.send(session(sid(10), b"alice@spf-pass.example.org") +
           message(sid(10), lines))
    ans = f.answer(sid(10))
    keep = lines[3:5] + BASIC
    report(ans is not None and echoed(ans, keep) and ours(ans)[0] != [],
           "forged fields (and their continuation lines) removed, the "
           "foreign one kept, ours on top", ans)
    f.send(session(sid(11), b"alice@spf-pass.example.org",
                   client=b"127.0.0.1") + message(sid(11), lines))
    ans = f.answer(sid(11))
    report(ans is not None and ours(ans)[0] == [] and echoed(ans, keep),
           "excluded client: no header, forged ones still removed", ans)
    f.close()


def case_mid_message():
    f = Filter()
    f.config()
    # A: half a message, then the session ends; B: whole, in between.
    f.send(session(sid(12), b"alice@spf-pass.example.org") +
           message(sid(12), BASIC[:2], end=False))
    f.send(session(sid(13), b"alice@spf-pass.example.org") +
           message(sid(13), BASIC))
    f.send(rep(sid(12), b"link-disconnect"))
    ans = f.answer(sid(13))
    report(ans is not None and echoed(ans, BASIC),
           "another session's message is answered", ans)
    # C: tx-rollback in the middle, then a new transaction on it
    f.send(session(sid(14), b"alice@spf-pass.example.org") +
           message(sid(14), BASIC[:1], end=False) +
           rep(sid(14), b"tx-rollback", b"4f22fca4") +
           rep(sid(14), b"tx-begin", b"4f22fca5") +
           rep(sid(14), b"tx-mail", b"4f22fca5|ok|alice@spf-fail.example.org")
           + message(sid(14), BASIC))
    ans = f.answer(sid(14))
    report(ans is not None and echoed(ans, BASIC) and
           b"spf=fail" in b" ".join(ours(ans)[0]),
           "after tx-rollback mid-message: the next message, its own "
           "verdict", ans)
    rc = f.close()
    stray = [l for l in f.kept if sid(12) in l]
    while True:
        l = f.line(0.5)
        if l is None:
            break
        if sid(12) in l:
            stray.append(l)
    report(stray == [], "nothing answered for the session that ended", stray)
    err = f.stderr()
    report("ended in the middle of a message" in err and rc == 0,
           "the dropped message is logged", err[-300:])


def spill_fds(pid):
    """The filter's open files in TMPDIR that are already unlinked."""
    out, d = [], "/proc/%d/fd" % pid
    for fd in os.listdir(d):
        try:
            t = os.readlink(os.path.join(d, fd))
        except OSError:
            continue
        if t.startswith(TMPDIR + "/filter-enma.") and t.endswith(
                " (deleted)"):
            out.append(t)
    return out


def case_spill():
    f = Filter(["-o", "opensmtpd.spill_size=0"])
    f.config()
    body = [(b"line %06d " % i) + b"z" * 90 for i in range(4000)]
    sent = BASIC[:-1] + body
    f.send(session(sid(15), b"alice@spf-pass.example.org") +
           message(sid(15), sent[:200], end=False))
    end = time.time() + WAIT
    while time.time() < end and not spill_fds(f.p.pid):
        time.sleep(0.05)
    during = os.listdir(TMPDIR)
    spilled = spill_fds(f.p.pid)
    f.send(b"".join(data(sid(15), l) for l in sent[200:]) +
           data(sid(15), b"."))
    ans = f.answer(sid(15))
    report(ans is not None and echoed(ans, sent),
           "spilled message (400 KB, spill_size 0) echoed byte for byte",
           None if ans is None else len(ans))
    f.close()
    report(len(spilled) == 1, "the message is in an unlinked file in "
           "opensmtpd.tmpdir while it arrives", spilled)
    report(during == [] and os.listdir(TMPDIR) == [],
           "the spill file is never visible in opensmtpd.tmpdir",
           (during, os.listdir(TMPDIR)))


def case_queue_full():
    f = Filter(["-o", "opensmtpd.workers=1", "-o", "opensmtpd.queue=0"])
    f.config()
    # The one worker takes the first message (its DNS never answers);
    # the second comes after it on stdin, so whether the first is still
    # queued or already running, the second finds no room.
    f.send(session(sid(16), b"alice@timeout.example.org") +
           message(sid(16), BASIC))
    f.send(session(sid(17), b"alice@spf-pass.example.org") +
           message(sid(17), BASIC))
    first = f.line()
    f.kept.insert(0, first)
    ans = f.answer(sid(17))
    report(first is not None and sid(17) in first,
           "queue full: the second message is answered first", first)
    report(ours(ans)[0] == fallback(b"all workers busy and the queue full")
           and echoed(ans, BASIC), "queue full: the engine's fallback "
           "header, temperror for every method, every line kept", ans)
    ans = f.answer(sid(16))
    report(b"spf=temperror" in b" ".join(ours(ans)[0]),
           "the first message, its DNS never answered: spf=temperror", ans)
    err = f.stderr()
    report("(all workers busy and the queue full)" in err,
           "queue full is logged", err[-300:])
    f.close()


def case_timeout():
    f = Filter(["-o", "dns.message_timeout=20"])
    f.config(timeout_s=12)
    f.close()
    err = f.stderr()
    report("dns.message_timeout 20 s lowered to 2 s" in err,
           "the DNS budget stays below smtpd's session timeout", err[-300:])


def case_late():
    # A session timeout of 2 s leaves no time for the DNS budget (1 s at
    # the least) before the 2 s margin: every message gets temperror.
    f = Filter()
    f.config(timeout_s=2)
    f.send(session(sid(19), b"alice@spf-pass.example.org") +
           message(sid(19), BASIC))
    ans = f.answer(sid(19))
    report(ours(ans)[0] ==
           fallback(b"no time left before smtpd's session timeout") and
           echoed(ans, BASIC),
           "no time left before smtpd's session timeout: temperror", ans)
    f.close()
    report("(no time left before smtpd's session timeout)" in f.stderr(),
           "... and logged", f.stderr()[-300:])


def case_admd():
    f = Filter(["-o", "authresult.identifier="])
    f.config()  # config|admd|mx.example.test
    f.send(session(sid(18), b"alice@spf-pass.example.org") +
           message(sid(18), BASIC))
    ans = f.answer(sid(18))
    report(ans is not None and ans[0].startswith(
           b"Authentication-Results: mx.example.test;"),
           "authresult.identifier empty: smtpd's admd is the authserv-id",
           None if ans is None else ans[:1])
    f.close()


def case_eof_mid_line():
    f = Filter()
    f.config()
    f.send(b"report|0.6|1.2|smtp-in|tx-beg")
    rc = f.close()
    report(rc == 0 and "middle of a line" in f.stderr(),
           "stdin closed mid-line: exit 0, logged", (rc, f.stderr()[-200:]))


# PIPE_CASES="case_forged ...": only those (test_sanitized_daemons.sh)
ONLY = os.environ.get("PIPE_CASES", "").split()
for case in (case_register, case_v07, case_v06_auth,
             lambda: case_refuse("config"), lambda: case_refuse("event"),
             case_bytes, case_forged, case_mid_message, case_spill,
             case_queue_full, case_timeout, case_late, case_admd,
             case_eof_mid_line):
    if ONLY and getattr(case, "__name__", "") not in ONLY:
        continue
    try:
        case()
    except Exception as e:  # a bug here is a failure, not a crash
        report(False, getattr(case, "__name__", "case"), repr(e))
sys.exit(1 if failures else 0)
PYEOF
)

# pipe_run - PIPE_PY against the filter; count its "ok"/"FAILED" lines
pipe_run()
{
	local out line tmp=$IT_DIR/pipe-tmp
	mkdir -p "$tmp"
	printf '%s\n' "$PIPE_PY" >"$IT_DIR/pipe.py"
	out=$(timeout 300 "$PY" "$IT_DIR/pipe.py" "$FILTER" "$IT_DNS_PORT" \
	    "$tmp" 2>&1)
	while IFS= read -r line; do
		case $line in
		"ok      "*) it_pass "pipe: ${line#ok      }" ;;
		"FAILED  "*) it_fail "pipe: ${line#FAILED  }" ;;
		*) [ -n "$line" ] && it_fail "pipe: unexpected output" "$line" ;;
		esac
	done <<<"$out"
	[[ $out == *ok* || $out == *FAILED* ]] || it_fail "pipe: no case ran"
}

# sourced by test_sanitized_daemons.sh for its functions: stop here
[ -z "${ENMA_IT_LIBRARY:-}" ] || return 0

# --- main ---------------------------------------------------------------------

it_init opensmtpd

if [ ! -x "$FILTER" ]; then
	it_fail "build/filter-enma exists (run make first)"
	it_summary
	exit
fi

# smtpd runs the filter as user opensmtpd: a copy it can reach, and a
# spill directory it can write to.
mkdir -p "$IT_DIR/bin" "$IT_DIR/spill"
cp "$FILTER" "$IT_DIR/bin/filter-enma"
chmod 755 "$IT_DIR/bin" "$IT_DIR/bin/filter-enma"
chown "$IT_SMTPD_UID" "$IT_DIR/spill"
chmod 700 "$IT_DIR/spill"
make_templates
it_ok "a DKIM test key" make_dkim_key

it_ok "unbound starts" it_dns_start --servfail servfail.example.org \
    --timeout timeout.example.org "$HERE/zones/example.org.zone" "$DKIM_ZONE"

pipe_run

# A small spill size: the long messages go through the spill file.
# -c /dev/null: not /etc/enma/enma.conf, should the host have one.
FILTER_CMD="$IT_DIR/bin/filter-enma -c /dev/null \
-o authresult.identifier=$AUTHSERV \
-o common.exclusion_addresses=127.0.0.1 -o dns.nameservers=127.0.0.1 \
-o dns.port=$IT_DNS_PORT -o dns.timeout=3 -o dns.retries=1 \
-o dns.message_timeout=8 -o opensmtpd.tmpdir=$IT_DIR/spill \
-o opensmtpd.spill_size=4096"
if it_ok "smtpd starts with filter-enma" it_smtpd_start "$FILTER_CMD"; then
	run_table "$SCENARIOS"
	# One log line per message, with the session and the verdicts.
	it_match "log line with session, client and verdicts" \
	    'it: info: session=[0-9a-f]{16} msgid=[0-9a-f]{8} client=127\.0\.0\.2 spf=pass' \
	    "$(it_smtpd_log)"
	order_test
	it_dns_stop
	run_table "$SCENARIO_DNS_DOWN"
	it_eq "no spill file left" "" "$(ls -A "$IT_DIR/spill")"
	# (ENMA_FILTER=build/asan/filter-enma: sanitizer reports land here)
	it_eq "no sanitizer report in smtpd's log" "" \
	    "$(grep -E 'Sanitizer|runtime error' "$IT_DIR/smtpd/smtpd.out")"
	pid=$(it_pid smtpd)
	it_ok "smtpd (and so its filter) still runs" _it_alive "$pid"
	it_smtpd_stop
fi

it_summary
