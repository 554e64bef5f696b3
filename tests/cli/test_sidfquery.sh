#!/usr/bin/env bash
# test_sidfquery.sh - sidfquery's output, JSON, trace and exit codes
#
# Runs build/sidfquery (or $SIDFQUERY) offline against the zone file
# tests/data/sidfquery.zone.  Every expected verdict below is worked out
# by hand from the RFC rule named next to it, never from running our
# code.  Prints "test_sidfquery: N passed, N failed"; exits 1 on failure.

set -u
cd "$(dirname "$0")/../.." || exit 1

SQ=${SIDFQUERY:-build/sidfquery}
Z=tests/data/sidfquery.zone
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
passed=0
failed=0

if [ ! -x "$SQ" ]; then
	echo "test_sidfquery: $SQ not built" >&2
	exit 1
fi

ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }

# out NAME WANT ARGS... - stdout is exactly WANT and the exit status 0
out() {
	local name=$1 want=$2 got rc
	shift 2
	got=$("$SQ" -z "$Z" "$@" 2>"$T/err")
	rc=$?
	if [ "$rc" -eq 0 ] && [ "$got" = "$want" ]; then
		ok
	else
		bad "$name: exit $rc, got [$got], want [$want]" \
		    "stderr [$(head -c 500 "$T/err")]"
	fi
}

# verdict NAME RESULT MAILBOX ADDRESS [OPTIONS...] - one line
verdict() {
	local name=$1 result=$2 mailbox=$3 addr=$4
	shift 4
	out "$name" "$mailbox $addr $result" "$@" "$mailbox" "$addr"
}

# status NAME CODE ARGS... - exit status CODE (no -z added)
status() {
	local name=$1 want=$2 rc
	shift 2
	"$SQ" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	if [ "$rc" -eq "$want" ]; then
		ok
	else
		bad "$name: exit $rc, want $want; stderr [$(head -c 300 "$T/err")]"
	fi
}

# json_check NAME PYEXPR ARGS... - parse the -j output, evaluate PYEXPR
# with o = the list of objects
json_check() {
	local name=$1 expr=$2
	shift 2
	if "$SQ" -j -z "$Z" "$@" >"$T/json" 2>"$T/err" &&
	    python3 -c '
import json, sys
o = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
sys.exit(0 if ('"$expr"') else 1)' "$T/json"; then
		ok
	else
		bad "$name: [$(head -c 600 "$T/json")] is not ($expr)"
	fi
}

## Verdicts (RFC 7208 2.6 words)
# 5.6: 192.0.2.10 is in ip4:192.0.2.0/24; 198.51.100.1 reaches -all
verdict ip4-pass pass user@pass.sq.example 192.0.2.10
verdict ip4-fail fail user@pass.sq.example 198.51.100.1
# 5.6: 2001:db8::1 is in ip6:2001:db8::/32
verdict ip6-pass pass user@pass.sq.example 2001:db8::1
# 4.6.2: ~ is softfail, ? is neutral
verdict softfail softfail user@soft.sq.example 192.0.2.1
verdict neutral neutral user@neutral.sq.example 192.0.2.1
# 4.5: no record at an existing name; 4.3: NXDOMAIN: both none
verdict no-record none user@norecord.sq.example 192.0.2.1
verdict nxdomain none user@nothing.sq.example 192.0.2.1
# 4.5: two v=spf1 records; 4.6: bad ip4 network: permerror
verdict two-records permerror user@two.sq.example 192.0.2.1
verdict syntax permerror user@syntax.sq.example 192.0.2.1
# 5.2: include passes on the included pass, else falls to -all;
# an included domain without a record is permerror
verdict include-pass pass user@inc.sq.example 192.0.2.10
verdict include-fail fail user@inc.sq.example 198.51.100.1
verdict include-none permerror user@incnone.sq.example 192.0.2.10
# 6.1: redirect=soft.sq.example gives its ~all
verdict redirect softfail user@redir.sq.example 192.0.2.1
# 5.3 a, 5.4 mx (the exchange's A and, for IPv6 clients, AAAA)
verdict a-pass pass user@amx.sq.example 198.51.100.1
verdict mx-pass pass user@amx.sq.example 198.51.100.2
verdict mx6-pass pass user@amx.sq.example 2001:db8:5::2
verdict amx-fail fail user@amx.sq.example 198.51.100.3
# 4.6.4: three void lookups, eleven DNS terms: permerror
verdict void-limit permerror user@void.sq.example 192.0.2.10
verdict dns-limit permerror user@many.sq.example 192.0.2.10
# RFC 4406 4.4 (suite v2-preferred-over-v1): spf2.0/mfrom -all wins for
# Sender ID; SPF (RFC 7208 4.5) sees only v=spf1 +all
verdict sid-mfrom fail user@sid.sq.example 192.0.2.1 -m
verdict sid-spf pass user@sid.sq.example 192.0.2.1 -s
# RFC 4406 3.4: v=spf1 is ignored when spf2.0 exists; no pra record: none
verdict sid-pra-none none user@sid.sq.example 192.0.2.1 -p
# RFC 4406 3.4: with no spf2.0 record, v=spf1 serves mfrom and pra
verdict v1-mfrom fail user@v1only.sq.example 192.0.2.1 -m
verdict v1-pra fail user@v1only.sq.example 192.0.2.1 -p
# the PRA is an RFC 5322 mailbox: its addr-spec (RFC 5322 3.4) is the
# first of the three fields, without the display name
out pra-display "jo@pass.sq.example 192.0.2.10 pass" -p \
    'Jo <jo@pass.sq.example>' 192.0.2.10
# a local part with a blank stays one field, quoted (RFC 5322 3.4.1)
out pra-quoted '"jo doe"@pass.sq.example 192.0.2.10 pass' -p \
    '"Jo Doe" <"jo doe"@pass.sq.example>' 192.0.2.10
# ENMA 1.x word for fail
verdict hardfail hardfail user@pass.sq.example 198.51.100.1 -H

## Mailbox forms
verdict angle pass '<user@pass.sq.example>' 192.0.2.10
# RFC 7208 2.4: null sender is postmaster@HELO
verdict null-sender pass '<>' 192.0.2.10 -e pass.sq.example
verdict null-sender-fail fail '<>' 198.51.100.1 -e pass.sq.example
# RFC 7208 2.3: a bare domain is a HELO identity
verdict helo-identity pass pass.sq.example 192.0.2.10

## Addresses
out two-addresses "user@pass.sq.example 192.0.2.10 pass
user@pass.sq.example 198.51.100.1 fail" \
    user@pass.sq.example 192.0.2.10 198.51.100.1
# canonical forms: brackets and IPv6: prefixes go, mapped IPv4 is IPv4,
# RFC 5952 compresses and lower-cases IPv6
out bracket "user@pass.sq.example 192.0.2.10 pass" \
    user@pass.sq.example '[192.0.2.10]'
out mapped "user@pass.sq.example 192.0.2.10 pass" \
    user@pass.sq.example ::ffff:192.0.2.10
out ipv6-canonical "user@pass.sq.example 2001:db8::1 pass" \
    user@pass.sq.example 'IPv6:2001:DB8:0:0:0:0:0:1'
# host names: A, then AAAA; -4 and -6 keep one family
out host "user@pass.sq.example 192.0.2.10 pass
user@pass.sq.example 2001:db8::10 pass" \
    user@pass.sq.example host.sq.example
out host-4 "user@pass.sq.example 192.0.2.10 pass" \
    -4 user@pass.sq.example host.sq.example
out host-6 "user@pass.sq.example 2001:db8::10 pass" \
    -6 user@pass.sq.example host.sq.example
out host-mx "user@amx.sq.example 198.51.100.2 pass
user@amx.sq.example 2001:db8:5::2 pass" \
    user@amx.sq.example mx.amx.sq.example

## JSON (-j): valid, one object per address, the fields right
"$SQ" -j -z "$Z" user@pass.sq.example 192.0.2.10 >"$T/one.json" 2>/dev/null
if python3 -m json.tool "$T/one.json" >/dev/null 2>&1; then ok; else
	bad "json.tool refuses [$(cat "$T/one.json")]"; fi
"$SQ" -j -z "$Z" user@pass.sq.example 192.0.2.10 198.51.100.1 \
    >"$T/two.json" 2>/dev/null
if python3 -m json.tool --json-lines "$T/two.json" >/dev/null 2>&1 &&
    [ "$(wc -l <"$T/two.json")" -eq 2 ]; then ok; else
	bad "json lines [$(cat "$T/two.json")]"; fi
json_check json-fields 'len(o) == 1 and o[0]["mailbox"] == "user@pass.sq.example" and o[0]["address"] == "192.0.2.10" and o[0]["scope"] == "spf" and o[0]["result"] == "pass" and o[0]["explanation"] is None and isinstance(o[0]["reason"], str) and o[0]["reason"] != "" and o[0]["dns_terms"] == 0 and o[0]["void_lookups"] == 0' \
    user@pass.sq.example 192.0.2.10
# RFC 7208 8.4's example exp= text, %{i} and %{d} expanded (7.3)
json_check json-explanation 'o[0]["result"] == "fail" and o[0]["explanation"] == "192.0.2.99 is not one of exp.sq.example'"'"'s designated mail servers."' \
    user@exp.sq.example 192.0.2.99
# 4.6.4: "a" and "mx" count one DNS term each; include counts one
json_check json-dns-terms 'o[0]["result"] == "pass" and o[0]["dns_terms"] == 2' \
    user@amx.sq.example 198.51.100.2
json_check json-include-terms 'o[0]["dns_terms"] == 1 and o[0]["mechanism"] is not None and "include" in o[0]["mechanism"]' \
    user@inc.sq.example 192.0.2.10
json_check json-scope 'o[0]["scope"] == "mfrom" and o[0]["result"] == "fail"' \
    -m user@sid.sq.example 192.0.2.1
json_check json-hardfail 'o[0]["result"] == "hardfail"' \
    -H user@pass.sq.example 198.51.100.1
# escaping: a quoted local part with a quote and a backslash
json_check json-escape 'o[0]["mailbox"] == "\"a\\\"b\"@pass.sq.example"' \
    '"a\"b"@pass.sq.example' 192.0.2.10

## Trace (-v): stdout unchanged; stderr shows lookups, steps and limits
"$SQ" -v -z "$Z" user@amx.sq.example 198.51.100.2 >"$T/v.out" 2>"$T/v.err"
if [ "$(cat "$T/v.out")" = "user@amx.sq.example 198.51.100.2 pass" ]; then
	ok; else bad "-v changed stdout: [$(cat "$T/v.out")]"; fi
if grep -q 'dns TXT amx.sq.example' "$T/v.err" &&
    grep -q 'dns MX amx.sq.example' "$T/v.err" &&
    grep -q '10 mx.amx.sq.example' "$T/v.err"; then ok; else
	bad "-v lacks the lookups: [$(head -c 800 "$T/v.err")]"; fi
if grep -q '^  spf\[' "$T/v.err"; then ok; else
	bad "-v lacks SPF steps: [$(head -c 800 "$T/v.err")]"; fi
if grep -q '2 of 10 DNS-querying terms' "$T/v.err" &&
    grep -q 'of 2 void lookups' "$T/v.err"; then ok; else
	bad "-v lacks the limits: [$(tail -c 600 "$T/v.err")]"; fi
"$SQ" -v -z "$Z" user@many.sq.example 192.0.2.10 >/dev/null 2>"$T/v2.err"
if grep -qi 'limit' "$T/v2.err" && grep -q '^  result permerror' "$T/v2.err"
then ok; else bad "-v on the DNS limit: [$(tail -c 800 "$T/v2.err")]"; fi
"$SQ" -v -z "$Z" user@exp.sq.example 192.0.2.99 >/dev/null 2>"$T/v3.err"
if grep -q "explanation: 192.0.2.99 is not one of" "$T/v3.err"; then ok
else bad "-v lacks the explanation: [$(tail -c 600 "$T/v3.err")]"; fi

## Exit status
status help 0 -h
if grep -q '^usage: sidfquery' "$T/out"; then ok; else
	bad "-h prints no usage on stdout"; fi
status no-args 64
status one-arg 64 user@pass.sq.example
status bad-option 64 -x user@pass.sq.example 192.0.2.1
# one line of reason (no getopt message naming the binary's path), then
# the synopsis of -h, no wider than 80 columns
if [ "$(head -1 "$T/err")" = "sidfquery: unknown option -x" ]; then ok
else bad "bad-option message: [$(cat "$T/err")]"; fi
"$SQ" -h | sed -n '/^usage:/,/address-or-host/p' >"$T/synopsis"
if [ "$(tail -n +2 "$T/err")" = "$(cat "$T/synopsis")" ] &&
    [ -s "$T/synopsis" ]; then ok
else bad "usage on error differs from -h: [$(cat "$T/err")]"; fi
"$SQ" -h >"$T/help"
if awk 'length > 80 { exit 1 }' "$T/err" "$T/help"; then ok
else bad "usage wider than 80 columns"; fi
status missing-value 64 -n -S
if [ "$(head -1 "$T/err")" = "sidfquery: -S needs a value" ]; then ok
else bad "missing-value message: [$(cat "$T/err")]"; fi
status bad-timeout 64 -t 0 -z "$Z" user@pass.sq.example 192.0.2.1
status bad-timeout-text 64 -t 2s -z "$Z" user@pass.sq.example 192.0.2.1
status bad-port 64 -P 70000 user@pass.sq.example 192.0.2.1
status bad-ns 64 -S not.an.address user@pass.sq.example 192.0.2.1
status zone-and-ns 64 -z "$Z" -S 127.0.0.1 user@pass.sq.example 192.0.2.1
status bad-mailbox 64 -z "$Z" 'user@@pass.sq.example' 192.0.2.1
status null-no-helo 64 -z "$Z" '<>' 192.0.2.1
status bad-address 64 -z "$Z" user@pass.sq.example 'not an address'
status numeric-host 64 -n -z "$Z" user@pass.sq.example 192.0.2.10 \
    host.sq.example
if [ ! -s "$T/out" ]; then ok; else
	bad "a usage error still printed [$(cat "$T/out")]"; fi
if grep -q 'sidfquery: ' "$T/err"; then ok; else
	bad "a usage error printed no reason"; fi
status no-zone 66 -z "$T/absent.zone" user@pass.sq.example 192.0.2.1
printf 'x.example. IN TXT "unterminated\n' >"$T/bad.zone"
status bad-zone 65 -z "$T/bad.zone" user@pass.sq.example 192.0.2.1
# a host with no address: 68, and the other arguments still evaluated
status no-host 68 -z "$Z" user@pass.sq.example noaddr.sq.example 192.0.2.10
if [ "$(cat "$T/out")" = "user@pass.sq.example 192.0.2.10 pass" ]; then ok
else bad "no-host: [$(cat "$T/out")]"; fi
# unreachable DNS is a verdict (RFC 7208 2.6.6 temperror), not an error:
# a loopback port with nothing listening answers ICMP unreachable
port=$(python3 -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
status dns-down 0 -S 127.0.0.1 -P "$port" -t 2 user@pass.sq.example 192.0.2.1
if [ "$(cat "$T/out")" = "user@pass.sq.example 192.0.2.1 temperror" ]; then
	ok; else bad "dns-down: [$(cat "$T/out")]"; fi

echo "test_sidfquery: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
