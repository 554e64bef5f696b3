#!/bin/bash
# test_filter_enma.sh - filter-enma's command line: exit codes of
# sysexits(3) as filter-enma(8) gives them, one-line errors
set -u
cd "$(dirname "$0")/../.."
F=build/filter-enma
passed=0
failed=0
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

# expect NAME WANT-RC ERE CMD... - exit status and a line of stderr
expect() {
	local name=$1 want=$2 ere=$3 rc
	shift 3
	"$@" >"$T/out" 2>"$T/err" </dev/null
	rc=$?
	if [ "$rc" -eq "$want" ] && grep -qE -e "$ere" "$T/err"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAIL $name: rc $rc (want $want), stderr: $(head -c 300 "$T/err")"
	fi
}

expect bad-flag 64 '^usage: filter-enma ' "$F" -x
expect bad-flag-short 64 '^usage: ' "$F" -x
[ "$(wc -l <"$T/err")" -le 2 ] && passed=$((passed + 1)) ||
    { failed=$((failed + 1)); echo "FAIL bad-flag: more than 2 lines"; }
expect o-no-equals 64 '-o: ' "$F" -c /dev/null -o foo
expect o-unknown-key 64 'no.such' "$F" -c /dev/null -o no.such=1
expect o-bad-value 64 'opensmtpd.workers' "$F" -c /dev/null \
    -o opensmtpd.workers=0
printf 'spf.auth: maybe\n' >"$T/bad.conf"
expect file-error 78 "$T/bad.conf:1: " "$F" -c "$T/bad.conf" -t
expect dotless-id 0 'not a fully qualified name' "$F" -c /dev/null \
    -o authresult.identifier=mx -t
expect good 0 'configuration OK' "$F" -c /dev/null \
    -o authresult.identifier=mx.example.test -t
if grep -q 'not a fully' "$T/err"; then
	failed=$((failed + 1)); echo "FAIL good: warned about a dotted id"
else
	passed=$((passed + 1))
fi
echo "test_filter_enma: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
