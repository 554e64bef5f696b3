#!/bin/bash
# format-check.sh - the mechanical part of the house style (STYLE.md 13)
#
# clang-format 14 cannot express KNF's tab-aligned declarations, so
# reformatting the tree with it would make the code less readable, not
# more; .clang-format stays for editors, and this script checks what
# KNF fixes mechanically: tabs for indentation (4-space continuation
# lines are KNF), 80 columns (tabs of 8),
# no trailing whitespace, no CR, a final newline.
set -uo pipefail
cd "$(dirname "$0")/.."

bad=0
files=$(git ls-files '*.c' '*.h')
for f in $files; do
	out=$(awk -v f="$f" '
	{
		line = $0
		if (line ~ /\r$/) { print f ":" NR ": carriage return"; next }
		if (line ~ /[ \t]$/) print f ":" NR ": trailing whitespace"
		if (line ~ /^        /) print f ":" NR ": eight spaces, not a tab"
		col = 0
		for (i = 1; i <= length(line); i++) {
			c = substr(line, i, 1)
			col = (c == "\t") ? col + 8 - col % 8 : col + 1
		}
		if (col > 80) print f ":" NR ": " col " columns"
	}' "$f")
	[ -z "$(tail -c1 "$f")" ] || out="$out"$'\n'"$f: no final newline"
	if [ -n "$out" ]; then
		echo "$out" | sed '/^$/d'
		bad=$((bad + 1))
	fi
done
n=$(echo "$files" | wc -w)
echo "format: $((n - bad)) passed, $bad failed"
[ $bad -eq 0 ]
