#!/usr/bin/env bash
# test_enma_check.sh - enma-check's header, JSON, reader and exit codes
#
# Runs build/enma-check (or $ENMA_CHECK) offline against the zone file
# tests/data/enma-check.zone and the messages tests/data/enma-check-*.eml.
# Every expected verdict below is worked out by hand from the RFC rule
# named next to it, never from running our code; the header's layout is
# the one authres.h documents (folded with LF TAB after each ";").
# Prints "test_enma_check: N passed, N failed"; exits 1 on failure.

set -u
cd "$(dirname "$0")/../.." || exit 1

EC=${ENMA_CHECK:-build/enma-check}
Z=tests/data/enma-check.zone
D=tests/data
SHARED=${ENMA_SHARED:-../shared}
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
passed=0
failed=0
skipped=0

if [ ! -x "$EC" ]; then
	echo "test_enma_check: $EC not built" >&2
	exit 1
fi

ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }
skip() { skipped=$((skipped + 1)); echo "SKIP $*"; }

# ar ID VERDICT... - the field as enma-check prints it: authserv-id ID,
# then one "method=result props" per argument, each after ";" LF TAB
ar() {
	local id=$1 v out
	shift
	out="Authentication-Results: $id"
	for v in "$@"; do
		out="$out;
	$v"
	done
	printf '%s' "$out"
}

# The exact fields below are SPF's and Sender ID's: DKIM and ADSP are
# switched off for them and checked on their own further down.
SPFONLY=(-o dkim.auth=false -o dkimadsp.auth=false)

# out NAME WANT ARGS... - stdout is exactly WANT and the exit status 0
out() {
	local name=$1 want=$2 got rc
	shift 2
	got=$("$EC" -i mx.test -z "$Z" "${SPFONLY[@]}" "$@" 2>"$T/err")
	rc=$?
	if [ "$rc" -eq 0 ] && [ "$got" = "$want" ]; then
		ok
	else
		bad "$name: exit $rc, got [$got], want [$want]" \
		    "stderr [$(head -c 500 "$T/err")]"
	fi
}

# status NAME CODE ARGS... - exit status CODE (nothing added)
status() {
	local name=$1 want=$2 rc
	shift 2
	"$EC" "$@" >"$T/out" 2>"$T/err" </dev/null
	rc=$?
	if [ "$rc" -eq "$want" ]; then
		ok
	else
		bad "$name: exit $rc, want $want; stderr [$(head -c 300 "$T/err")]"
	fi
}

# json_check NAME PYEXPR ARGS... - parse the -j output, evaluate PYEXPR
# with o = the object and v = {method or method-property: verdict}
json_check() {
	local name=$1 expr=$2
	shift 2
	if "$EC" -j -i mx.test -z "$Z" "$@" >"$T/json" 2>"$T/err" &&
	    python3 -c '
import json, sys
o = json.load(open(sys.argv[1]))
v = {}
for x in o["verdicts"]:
    k = x["method"]
    if x["identity"] is not None and x["identity"].startswith("smtp.helo="):
        k += "-helo"
    v[k] = x
sys.exit(0 if ('"$expr"') else 1)' "$T/json"; then
		ok
	else
		bad "$name: [$(head -c 900 "$T/json")] is not ($expr)" \
		    "stderr [$(head -c 300 "$T/err")]"
	fi
}

MSG=$D/enma-check-spf.eml
PASS=user@pass.ec.example

## Verdicts: the header as the adapters would insert it
# RFC 7208 5.6: 192.0.2.10 is in ip4:192.0.2.0/24; RFC 4407 2: no
# Resent-*, no Sender: the PRA is From; RFC 4406 3.4: with no spf2.0
# record, v=spf1 serves the pra scope too
out pass "$(ar mx.test "spf=pass smtp.mailfrom=$PASS" \
    "sender-id=pass header.from=$PASS")" \
    -a 192.0.2.10 -f "$PASS" "$MSG"
# RFC 7208 4.6.2 and 5.1: 198.51.100.1 reaches -all: fail, both scopes
out fail "$(ar mx.test "spf=fail smtp.mailfrom=$PASS" \
    "sender-id=fail header.from=$PASS")" \
    -a 198.51.100.1 -f "$PASS" "$MSG"
# RFC 7208 4.6.2: ~all is softfail
out softfail "$(ar mx.test "spf=softfail smtp.mailfrom=user@soft.ec.example" \
    "sender-id=pass header.from=$PASS")" \
    -a 192.0.2.10 -f user@soft.ec.example "$MSG"
# RFC 7208 4.5: a name without an SPF record, and NXDOMAIN (4.3): none
out none "$(ar mx.test "spf=none smtp.mailfrom=user@nospf.ec.example" \
    "sender-id=pass header.from=$PASS")" \
    -a 192.0.2.10 -f user@nospf.ec.example "$MSG"
out nxdomain "$(ar mx.test "spf=none smtp.mailfrom=user@nothing.ec.example" \
    "sender-id=pass header.from=$PASS")" \
    -a 192.0.2.10 -f user@nothing.ec.example "$MSG"
# RFC 4406 3.4: spf2.0/pra -all decides Sender ID; RFC 7208 4.5: SPF
# reads only v=spf1 (+all)
out sender-id "$(ar mx.test "spf=pass smtp.mailfrom=user@sid.ec.example" \
    "sender-id=fail header.from=user@sid.ec.example")" \
    -a 192.0.2.10 -f user@sid.ec.example "$D/enma-check-sid.eml"
# RFC 7208 2.4: the null sender is checked as postmaster@HELO
out null-sender "$(ar mx.test \
    "spf=pass smtp.mailfrom=postmaster@pass.ec.example" \
    "sender-id=pass header.from=$PASS")" \
    -a 192.0.2.10 -e pass.ec.example -f '<>' "$MSG"
# -i over the configuration file's authresult.identifier
printf 'authresult.identifier: conf.test\n' >"$T/id.conf"
got=$("$EC" -c "$T/id.conf" -z "$Z" -a 192.0.2.10 -f "$PASS" "$MSG" \
    2>/dev/null | head -n 1)
if [ "$got" = "Authentication-Results: conf.test;" ]; then ok; else
	bad "-c authresult.identifier: [$got]"; fi
got=$("$EC" -c "$T/id.conf" -i cli.test -z "$Z" -a 192.0.2.10 -f "$PASS" \
    "$MSG" 2>/dev/null | head -n 1)
if [ "$got" = "Authentication-Results: cli.test;" ]; then ok; else
	bad "-i over -c: [$got]"; fi
# the resolver the configuration names (dns.resolver: zone), as -z
got=$("$EC" -i mx.test -o dns.resolver=zone -o "dns.zonefile=$Z" \
    "${SPFONLY[@]}" -a 192.0.2.10 -f "$PASS" "$MSG" 2>&1)
if [ "$got" = "$(ar mx.test "spf=pass smtp.mailfrom=$PASS" \
    "sender-id=pass header.from=$PASS")" ]; then ok; else
	bad "dns.resolver=zone: [$got]"; fi
# -o switches a method off (spf.auth, as in enma.conf)
out spf-off "$(ar mx.test "sender-id=pass header.from=$PASS")" \
    -o spf.auth=false -a 192.0.2.10 -f "$PASS" "$MSG"

## Input: file, "-", standard input; LF and CRLF files
want=$(ar mx.test "spf=pass smtp.mailfrom=$PASS" \
    "sender-id=pass header.from=$PASS")
got=$("$EC" -i mx.test -z "$Z" "${SPFONLY[@]}" -a 192.0.2.10 -f "$PASS" \
    <"$MSG" 2>&1)
if [ "$got" = "$want" ]; then ok; else bad "stdin: [$got]"; fi
got=$("$EC" -i mx.test -z "$Z" "${SPFONLY[@]}" -a 192.0.2.10 -f "$PASS" \
    - <"$MSG" 2>&1)
if [ "$got" = "$want" ]; then ok; else bad "stdin as -: [$got]"; fi
sed 's/$/\r/' "$MSG" >"$T/crlf.eml"
if [ "$(grep -c $'\r$' "$T/crlf.eml")" -eq "$(wc -l <"$MSG")" ]; then ok
else bad "the CRLF copy is not CRLF"; fi
for f in "$MSG" "$T/crlf.eml"; do
	"$EC" -j -i mx.test -z "$Z" -a 192.0.2.10 -f "$PASS" "$f" \
	    >"$T/$(basename "$f").json" 2>/dev/null
done
if python3 -c '
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
am, bm = a.pop("message"), b.pop("message")
# the same message: same fields and body (RFC 5322 2.1: CRLF lines)
same = a == b and am["header_fields"] == bm["header_fields"] and \
    am["body_bytes"] == bm["body_bytes"] and am["bare_lf"] and \
    not bm["bare_lf"]
sys.exit(0 if same else 1)' "$T/enma-check-spf.eml.json" "$T/crlf.eml.json"
then ok; else
	bad "LF and CRLF differ: [$(cat "$T/enma-check-spf.eml.json")]" \
	    "[$(cat "$T/crlf.eml.json")]"; fi
# 6 fields (the folded Received counts once); the body by hand, each
# line plus CRLF: "Hello." 6, "" 0, the line with 3 trailing spaces 48,
# "and an empty line at the end." 29, "" 0
json_check message-stats 'o["message"] == {"header_fields": 6, "body_bytes": 8 + 2 + 50 + 31 + 2, "separator": True, "nonheader_line": False, "mbox_from": False, "bare_lf": True}' \
    -a 192.0.2.10 -f "$PASS" "$MSG"
# no empty line: all header, verified, empty body
json_check no-separator 'o["message"]["separator"] is False and o["message"]["header_fields"] == 2 and o["message"]["body_bytes"] == 0 and v["sender-id"]["result"] == "pass"' \
    -a 192.0.2.10 -f "$PASS" "$D/enma-check-nobody.eml"
# RFC 4155: the mbox separator line is dropped, From: is still the PRA
json_check mbox 'o["message"]["mbox_from"] is True and o["message"]["header_fields"] == 2 and v["sender-id"]["result"] == "pass"' \
    -a 192.0.2.10 -f "$PASS" "$D/enma-check-mbox.eml"

## JSON
"$EC" -j -i mx.test -z "$Z" -a 192.0.2.10 -f "$PASS" "$MSG" \
    >"$T/one.json" 2>/dev/null
if python3 -m json.tool "$T/one.json" >/dev/null 2>&1; then ok; else
	bad "json.tool refuses [$(cat "$T/one.json")]"; fi
if [ "$(wc -l <"$T/one.json")" -eq 1 ]; then ok; else
	bad "JSON is not one line"; fi
json_check json-fields 'o["authserv_id"] == "mx.test" and o["skipped"] is None and o["header_name"] == "Authentication-Results" and o["header_value"].startswith("mx.test;\n\tspf=pass ") and o["delete"] == [] and o["logline"].startswith("spf=pass sender-id=pass") and v["spf"]["result"] == "pass" and v["spf"]["identity"] == "smtp.mailfrom=user@pass.ec.example" and v["sender-id"]["identity"] == "header.from=user@pass.ec.example"' \
    -a 192.0.2.10 -f "$PASS" "$MSG"
# every verdict but pass and none has its reason (RFC 7208 2.6.4: fail
# says why; the engine gives SPF's reason on pass too)
json_check json-reasons 'all(isinstance(x["reason"], str) and x["reason"] != "" for x in o["verdicts"] if x["result"] not in ("pass", "none") or x["method"] in ("spf", "sender-id")) and v["spf"]["result"] == "fail" and "all" in v["spf"]["reason"]' \
    -a 198.51.100.1 -f "$PASS" "$MSG"
# no client address: none, with the reason (engine.c's rule)
json_check json-noaddr 'v["spf"]["result"] == "none" and v["spf"]["reason"] == "no client address"' \
    -f "$PASS" "$MSG"
# RFC 8601 5: our own authserv-id from upstream (any case) is forged:
# the second Authentication-Results field is to be deleted
json_check forged 'o["delete"] == [2] and v["spf"]["result"] == "pass"' \
    -a 192.0.2.10 -f "$PASS" "$D/enma-check-forged.eml"
# excluded (common.exclusion_addresses, default 127.0.0.1) and
# authenticated clients: no verdicts, no header
json_check excluded 'o["skipped"] == "excluded" and o["header_value"] is None and o["verdicts"] == []' \
    -a 127.0.0.1 -f "$PASS" "$MSG"
json_check authenticated 'o["skipped"] == "authenticated" and o["header_value"] is None' \
    -a 192.0.2.10 -u someone -f "$PASS" "$MSG"
status excluded-plain 0 -z "$Z" -a 127.0.0.1 -f "$PASS" "$MSG"
if [ ! -s "$T/out" ] && grep -q 'exclusion_addresses' "$T/err"; then ok
else bad "excluded: stdout [$(cat "$T/out")] stderr [$(cat "$T/err")]"; fi

## Trace (-v): stdout unchanged, the lookups on stderr
"$EC" -v -i mx.test -z "$Z" "${SPFONLY[@]}" -a 192.0.2.10 -f "$PASS" \
    "$MSG" >"$T/v.out" 2>"$T/v.err"
if [ "$(cat "$T/v.out")" = "$want" ]; then ok; else
	bad "-v changed stdout: [$(cat "$T/v.out")]"; fi
if grep -q '^  dns TXT pass.ec.example: records' "$T/v.err" &&
    grep -q 'v=spf1 ip4:192.0.2.0/24 -all' "$T/v.err"; then ok; else
	bad "-v lacks the lookups: [$(head -c 800 "$T/v.err")]"; fi

## DKIM and ADSP on an unsigned message
# RFC 8601 2.7.1: no signature is none; RFC 5617 4.3: the author
# domain exists and has no _adsp._domainkey record: none
json_check unsigned 'v["dkim"]["result"] == "none" and v["dkim-adsp"]["result"] == "none" and v["dkim-adsp"]["identity"] == "header.from=user@pass.ec.example"' \
    -a 192.0.2.10 -f "$PASS" "$MSG"
# RFC 5617 4.3: an author domain that does not exist: nxdomain
printf 'From: a@nothing.ec.example\n\nx\n' >"$T/nx.eml"
json_check adsp-nxdomain 'v["dkim-adsp"]["result"] == "nxdomain"' \
    -a 192.0.2.10 -f "$PASS" "$T/nx.eml"

## DKIM: RFC 8463 A.3, both signatures pass with the keys of A.2
# (the records in the zone file, written by hand from the RFC; the
# message is stored with LF: the CRLF copy must give the same)
RFC8463=$SHARED/testsuites/dkim/dkim_verifier/rfc8463-A.3.eml
# dkim8463 NAME FILE - two dkim=pass in the field (RFC 8601 2.7.1), with
# header.d, header.s and header.b (RFC 6008: the first 8 characters of
# b=, quoted when they hold a "/", RFC 2045 tspecials); the same in JSON
dkim8463() {
	local name=$1 file=$2
	"$EC" -i mx.test -z "$Z" -a 192.0.2.10 -f joe@football.example.com \
	    "$file" >"$T/8463.out" 2>"$T/8463.err"
	if [ "$(grep -c 'dkim=pass' "$T/8463.out")" -eq 2 ] &&
	    grep -q 'header\.d=football\.example\.com' "$T/8463.out" &&
	    grep -q 'header\.s=brisbane' "$T/8463.out" &&
	    grep -q 'header\.s=test' "$T/8463.out" &&
	    grep -q 'header\.b="/gCrinpc"' "$T/8463.out" &&
	    grep -q 'header\.b=F45dVWDf' "$T/8463.out"; then ok; else
		bad "$name: want two dkim=pass: [$(cat "$T/8463.out")]" \
		    "stderr [$(head -c 300 "$T/8463.err")]"
	fi
	json_check "$name-json" '[x["result"] for x in o["verdicts"] if x["method"] == "dkim"] == ["pass", "pass"]' \
	    -a 192.0.2.10 -f joe@football.example.com "$file"
}
if [ ! -f "$RFC8463" ]; then
	bad "rfc8463: $RFC8463 missing"
else
	dkim8463 rfc8463 "$RFC8463"
	sed 's/$/\r/' "$RFC8463" >"$T/8463-crlf.eml"
	dkim8463 rfc8463-crlf "$T/8463-crlf.eml"
	# RFC 6376 6.1.3: a changed body fails its body hash, both signatures
	sed 's/hungry/thirsty/' "$RFC8463" >"$T/8463-changed.eml"
	json_check rfc8463-changed '[x["result"] for x in o["verdicts"] if x["method"] == "dkim"] == ["fail", "fail"]' \
	    -a 192.0.2.10 -f joe@football.example.com "$T/8463-changed.eml"
fi

## Exit status
status help 0 -h
if grep -q '^usage: enma-check' "$T/out"; then ok; else
	bad "-h prints no usage on stdout"; fi
status bad-option 64 -x "$MSG"
if [ ! -s "$T/out" ] && grep -q '^enma-check: ' "$T/err"; then ok; else
	bad "a usage error: stdout [$(cat "$T/out")], no reason"; fi
# one line of reason (no getopt message naming the binary's path), then
# the synopsis of -h, no wider than 80 columns
status bad-option-text 64 -x "$MSG"
if [ "$(head -1 "$T/err")" = "enma-check: unknown option -x" ]; then ok
else bad "bad-option message: [$(cat "$T/err")]"; fi
"$EC" -h | sed -n '/^usage:/,/\[file\]$/p' >"$T/synopsis"
if [ "$(tail -n +2 "$T/err")" = "$(cat "$T/synopsis")" ] &&
    [ -s "$T/synopsis" ]; then ok
else bad "usage on error differs from -h: [$(cat "$T/err")]"; fi
"$EC" -h >"$T/help"
if awk 'length > 80 { exit 1 }' "$T/err" "$T/help"; then ok
else bad "usage wider than 80 columns"; fi
status missing-value 64 -z
if [ "$(head -1 "$T/err")" = "enma-check: -z needs a value" ]; then ok
else bad "missing-value message: [$(cat "$T/err")]"; fi
status bad-address 64 -z "$Z" -a 'not an address' "$MSG"
status bad-port 64 -P 70000 "$MSG"
status bad-timeout 64 -t 0 -z "$Z" "$MSG"
status bad-timeout-text 64 -t 2s -z "$Z" "$MSG"
status bad-ns 64 -S not.an.address "$MSG"
status zone-and-ns 64 -z "$Z" -S 127.0.0.1 "$MSG"
status two-files 64 -z "$Z" "$MSG" "$MSG"
status bad-o-key 64 -z "$Z" -o no.such.key=1 "$MSG"
status bad-o-form 64 -z "$Z" -o spf.auth "$MSG"
status bad-o-value 64 -z "$Z" -o spf.auth=maybe "$MSG"
status empty-mail-from 64 -z "$Z" -f '' "$MSG"
status no-file 66 -z "$Z" "$T/absent.eml"
if grep -q "absent.eml" "$T/err"; then ok; else
	bad "no-file: the name is not in [$(cat "$T/err")]"; fi
status directory 66 -z "$Z" "$T"
status no-zone 66 -z "$T/absent.zone" "$MSG"
printf 'x.example. IN TXT "unterminated\n' >"$T/bad.zone"
status bad-zone 65 -z "$T/bad.zone" "$MSG"
status no-conf 66 -z "$Z" -c "$T/absent.conf" "$MSG"
printf 'no.such.key: 1\n' >"$T/bad.conf"
status bad-conf 78 -z "$Z" -c "$T/bad.conf" "$MSG"
if grep -q 'bad.conf:1' "$T/err"; then ok; else
	bad "bad-conf: no file:line in [$(cat "$T/err")]"; fi
# a header field over the reader's 1 MiB limit (mail.h): 65, no header
python3 -c 'import sys; sys.stdout.write("From: a@pass.ec.example\nX: " +
    "a" * (1024 * 1024) + "\n\nbody\n")' >"$T/huge.eml"
status huge-field 65 -z "$Z" -a 192.0.2.10 "$T/huge.eml"
if [ ! -s "$T/out" ]; then ok; else bad "huge-field printed a header"; fi
# an empty message is a message without fields: verified (RFC 4407 2:
# no PRA gives Sender ID permerror, RFC 4406 4)
: >"$T/empty.eml"
json_check empty-message 'o["message"]["header_fields"] == 0 and v["sender-id"]["result"] == "permerror"' \
    -a 192.0.2.10 -f "$PASS" "$T/empty.eml"
# unreachable DNS is a verdict (RFC 7208 2.6.6 temperror), not an error
port=$(python3 -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$EC" -j -i mx.test -S 127.0.0.1 -P "$port" -t 2 -a 192.0.2.10 \
    -f "$PASS" "$MSG" >"$T/down.json" 2>"$T/err"
rc=$?
if [ "$rc" -eq 0 ] && python3 -c '
import json, sys
o = json.load(open(sys.argv[1]))
r = {x["method"]: x["result"] for x in o["verdicts"]}
# RFC 8601 2.7.1: no signature is dkim=none, whatever the DNS does
sys.exit(0 if r.get("spf") == r.get("sender-id") == "temperror" and
    r.get("dkim", "none") == "none" and
    r.get("dkim-adsp", "temperror") == "temperror" else 1)' \
    "$T/down.json"; then ok; else
	bad "dns-down: exit $rc [$(cat "$T/down.json")]"; fi

echo "test_enma_check: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
