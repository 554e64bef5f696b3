#!/bin/bash
# check.sh - every test of the project, in order of cost
#
# Each stage prints lines "NAME: N passed, N failed"; this script adds
# them up and closes with one "N passed, N failed" line.  A stage that
# cannot run (a missing tool) fails the check: nothing is skipped
# silently.
#
#   ENMA_CHECK_STAGES="unit asan"   run only some stages
#   FUZZ_SECONDS=10                 length of each fuzz run
set -uo pipefail
cd "$(dirname "$0")/.."

STAGES=${ENMA_CHECK_STAGES:-"build unit conformance cli asan valgrind fuzz integration"}
FUZZ_SECONDS=${FUZZ_SECONDS:-10}
LOG=build/check
mkdir -p "$LOG"
total_pass=0
total_fail=0
stage_fail=0

# tally FILE - add a test program's closing "N passed, N failed" line;
# runners that also print a line per suite file close with their total
tally() {
	local p f
	read -r p f < <(sed -n 's/^\(.*: \)\{0,1\}\([0-9][0-9]*\) passed, \([0-9][0-9]*\) failed.*$/\2 \3/p' "$1" | tail -1)
	total_pass=$((total_pass + ${p:-0}))
	total_fail=$((total_fail + ${f:-0}))
}

# run NAME CMD... - run one test program, show failures, tally it
run() {
	local name=$1 out="$LOG/$1.log" rc
	shift
	"$@" >"$out" 2>&1
	rc=$?
	grep -E '^(FAIL|ERROR|SKIP)|passed, [0-9]+ failed' "$out" | grep -v ' 0 failed' | head -40
	grep -E 'passed, [0-9]+ failed' "$out" | tail -1 | sed "s/^/  $name: /; s/: [a-z0-9_-]*: /: /"
	tally "$out"
	if [ $rc -ne 0 ]; then
		echo "  $name: exit status $rc (log: $out)"
		stage_fail=$((stage_fail + 1))
		if ! grep -qE 'passed, [0-9]+ failed' "$out"; then
			total_fail=$((total_fail + 1))
			tail -20 "$out"
		fi
	fi
}

stage_build() {
	make -j2 all tests >"$LOG/build.log" 2>&1 ||
	    { tail -30 "$LOG/build.log"; return 1; }
	run format bash scripts/format-check.sh
}

stage_unit() {
	local t
	for t in build/tests/test_*; do
		[ -x "$t" ] && run "unit-$(basename "$t")" "$t"
	done
}

stage_conformance() {
	run spf-suite build/tests/spf-suite -d ../shared
	run dkim-suite build/tests/dkim-suite -d ../shared
}

stage_cli() {
	local t
	for t in tests/cli/test_*.sh; do
		[ -f "$t" ] && run "cli-$(basename "$t" .sh)" bash "$t"
	done
}

stage_asan() {
	make -j2 asan >"$LOG/asan-build.log" 2>&1 ||
	    { tail -30 "$LOG/asan-build.log"; return 1; }
	local t
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
	export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
	for t in build/asan/tests/test_*; do
		[ -x "$t" ] && run "asan-$(basename "$t")" "$t"
	done
	run asan-spf-suite build/asan/tests/spf-suite -d ../shared
	run asan-dkim-suite build/asan/tests/dkim-suite -d ../shared
}

stage_valgrind() {
	command -v valgrind >/dev/null || { echo "  valgrind missing"; return 1; }
	local t
	for t in build/tests/test_*; do
		[ -x "$t" ] && run "valgrind-$(basename "$t")" \
		    valgrind -q --error-exitcode=99 --leak-check=full \
		    --errors-for-leak-kinds=definite "$t"
	done
}

stage_fuzz() {
	make fuzz-build >"$LOG/fuzz-build.log" 2>&1 ||
	    { tail -30 "$LOG/fuzz-build.log"; return 1; }
	FUZZTIME=$FUZZ_SECONDS run fuzz sh tests/fuzz/run.sh build/fuzz/bin
}

stage_integration() {
	bash scripts/deps.sh mta >"$LOG/deps-mta.log" 2>&1 ||
	    { tail -20 "$LOG/deps-mta.log"; return 1; }
	# test_sanitized_daemons.sh runs build/asan's enma and filter-enma
	# (the asan stage may not have run: ENMA_CHECK_STAGES=integration)
	make -j2 asan >"$LOG/it-asan-build.log" 2>&1 ||
	    { tail -30 "$LOG/it-asan-build.log"; return 1; }
	local t
	run it-selftest bash tests/integration/selftest.sh
	for t in tests/integration/test_*.sh; do
		[ -f "$t" ] && run "it-$(basename "$t" .sh)" bash "$t"
	done
}

for s in $STAGES; do
	echo "== $s"
	before=$stage_fail
	if ! "stage_$s"; then
		echo "  stage $s could not run"
		stage_fail=$((stage_fail + 1))
		total_fail=$((total_fail + 1))
	fi
	[ $stage_fail -eq $before ] || echo "  stage $s: FAILED"
done

echo "$total_pass passed, $total_fail failed"
[ $total_fail -eq 0 ] && [ $stage_fail -eq 0 ]
