#!/usr/bin/env bash
# test_sanitized_daemons.sh - enma and filter-enma under ASan+LeakSanitizer
#
#	bash tests/integration/test_sanitized_daemons.sh
#
# PITFALLS.md 12: leaks in long-running daemons (OpenDKIM #272, OpenDMARC
# #310) only show when the daemon exits after real traffic.  `make asan`
# builds build/asan/enma and build/asan/filter-enma (AddressSanitizer,
# LeakSanitizer, UBSan); this test sends a short subset of the other
# tests' scenarios through them and fails on any sanitizer report:
#
#   - the milter behind real Postfix: SPF pass, fail, temperror (SERVFAIL),
#     the null sender, forged Authentication-Results, Sender ID on Sender:,
#     DKIM messages signed by dkimpy (pass, ed25519, broken, two
#     signatures), then miltertest's cases (two messages on one
#     connection, SMTP AUTH, client addresses only in macros); then
#     SIGTERM, and the wait (bounded) for libmilter's ~5 s exit, where
#     LeakSanitizer looks for leaks;
#   - filter-enma driven over its pipe by test_opensmtpd.sh's driver, a
#     subset of its cases (several sessions per process, sessions ended
#     mid-message, tx-rollback, the spill file, a full queue); each
#     filter exits when its stdin closes.
#
# The scenario tables, their checks and the drivers are those of
# test_milter.sh and test_opensmtpd.sh, sourced with ENMA_IT_LIBRARY=1
# (they stop before their main part); the expected verdicts are theirs,
# from the RFCs.  ASAN_OPTIONS=log_path puts every report in a file of
# its own (a daemon's stderr may go anywhere): any file there is a
# failure, shown.  A control program that leaks on purpose shows first
# that LeakSanitizer works on this machine (it does not under ptrace).
# Needs root, clang and `scripts/deps.sh mta`.  Prints "N passed, N
# failed".
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)

# the sanitized binaries, whatever ENMA or ENMA_FILTER say; the three
# are read by the scripts sourced below
# shellcheck disable=SC2034
{
	ENMA=$TOP/build/asan/enma
	ENMA_FILTER=$TOP/build/asan/filter-enma
	ENMA_IT_LIBRARY=1
}
# test_opensmtpd.sh first: pipe_run and PIPE_PY are wanted from it; then
# test_milter.sh, whose ours, check, scenario, run_table (the same names)
# are the ones used below
. "$HERE/test_opensmtpd.sh"
. "$HERE/test_milter.sh"
unset ENMA_IT_LIBRARY

# The subsets: names of test_milter.sh's SCENARIOS and DKIM_SCENARIOS
# lines, and of test_opensmtpd.sh's pipe cases.
MILTER_PICK='pass|fail|servfail|null|forged|sid-sender'
DKIM_PICK='dkim-rsa|dkim-ed25519|dkim-body|dkim-two'
PIPE_PICK='case_register case_v07 case_forged case_mid_message case_spill
case_queue_full'

# san_env DIR - sanitizer reports of the programs started next go to DIR
san_env()
{
	mkdir -p "$1"
	chmod 1777 "$1"		# whatever user the daemon switches to
	# one log_path in both: UBSAN_OPTIONS' wins for every report
	export ASAN_OPTIONS="detect_leaks=1:log_path=$1/san"
	export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$1/san"
}

# no_reports WHAT DIR - no sanitizer report in DIR
no_reports()
{
	local files
	files=$(find "$2" -type f 2>/dev/null)
	if [ -z "$files" ]; then
		it_pass "$1: no sanitizer report"
	else
		# shellcheck disable=SC2086 # one name a line, no blanks
		it_fail "$1: no sanitizer report" "$(head -c 3000 $files)"
	fi
}

# lsan_control - a program that leaks 7 bytes: its report must appear
lsan_control()
{
	local d=$IT_DIR/control
	mkdir -p "$d"
	printf '%s\n' '#include <stdlib.h>' \
	    'int main(void) { void *volatile p = malloc(7); p = 0;' \
	    '	return p != 0; }' >"$d/leak.c"
	if ! clang -fsanitize=address -g -o "$d/leak" "$d/leak.c" \
	    >"$d/cc.log" 2>&1; then
		it_fail "control: clang -fsanitize=address" "$(cat "$d/cc.log")"
		return
	fi
	(san_env "$d/out" && exec "$d/leak")
	it_match "control: a leak is reported in a log_path file" \
	    'detected memory leaks' "$(cat "$d"/out/san.* 2>/dev/null)"
}

# milter_part - Postfix and the sanitized enma, then enma's exit
milter_part()
{
	local port line
	port=$(it_free_port)
	san_env "$IT_DIR/san-enma"
	it_ok "asan enma starts" enma_start enma "$port" \
	    -o "milter.socket=inet:$port@127.0.0.1" -o milter.pidfile= \
	    -o "authresult.identifier=$AUTHSERV" \
	    -o "common.exclusion_addresses=127.0.0.1" \
	    -o "dns.nameservers=127.0.0.1" -o "dns.port=$IT_DNS_PORT"
	unset ASAN_OPTIONS UBSAN_OPTIONS
	if it_ok "postfix starts" it_postfix_start "inet:$port@127.0.0.1"; then
		run_table postfix "$(grep -E "^($MILTER_PICK) " <<<"$SCENARIOS")"
		while IFS= read -r line; do
			dkim_scenario postfix "$line"
		done < <(grep -E "^($DKIM_PICK) " <<<"$DKIM_SCENARIOS")
		it_postfix_stop
	fi
	mt_run leadspc "$port"
	[ -n "${ENMA_PID[enma]:-}" ] || return
	# libmilter takes ~5 s to leave smfi_main; enma_stop waits 30 s
	enma_stop enma
	it_eq "asan enma exits 0 on SIGTERM (leak check done)" 0 \
	    "${ENMA_RC[enma]}"
	no_reports "enma" "$IT_DIR/san-enma"
}

# filter_part - test_opensmtpd.sh's pipe driver on the sanitized filter
filter_part()
{
	san_env "$IT_DIR/san-filter"
	PIPE_CASES=$PIPE_PICK pipe_run
	unset ASAN_OPTIONS UBSAN_OPTIONS
	no_reports "filter-enma" "$IT_DIR/san-filter"
}

# --- main ---------------------------------------------------------------------

it_init sanitized
trap milter_cleanup EXIT

for b in "$ENMA" "$FILTER"; do
	if [ ! -x "$b" ]; then
		it_fail "$b exists (run make asan first)"
		it_summary
		exit
	fi
done
for b in "$ENMA" "$FILTER"; do
	it_ok "$(basename "$b") is an ASan build" grep -q __asan_init "$b"
done

lsan_control
it_ok "unbound starts" it_dns_start --servfail servfail.example.org \
    --timeout timeout.example.org "$HERE/zones/example.org.zone" \
    "$HERE/zones/dkim.example.org.zone"
milter_part
filter_part

it_summary
