#!/bin/sh
# run.sh DIR - run every fuzz target in DIR for FUZZTIME seconds each,
# starting from its seed corpus in tests/fuzz/corpus/<name without fuzz_>.
# New inputs go to a scratch copy, never into the seed corpus.
set -u
dir=$1
t=${FUZZTIME:-10}
pass=0
fail=0
for bin in "$dir"/fuzz_*; do
	[ -x "$bin" ] || continue
	name=$(basename "$bin")
	seeds=tests/fuzz/corpus/${name#fuzz_}
	work=$(mktemp -d)
	[ -d "$seeds" ] && cp -r "$seeds"/. "$work"/ 2>/dev/null
	if "$bin" -max_total_time="$t" -timeout=10 -rss_limit_mb=2048 \
	    -artifact_prefix=build/fuzz/ "$work" >"build/fuzz/$name.log" 2>&1; then
		pass=$((pass + 1))
		echo "$name: ok ($(grep -c . "build/fuzz/$name.log") log lines)"
	else
		fail=$((fail + 1))
		echo "FAIL $name: see build/fuzz/$name.log"
		tail -30 "build/fuzz/$name.log"
	fi
	rm -rf "$work"
done
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
