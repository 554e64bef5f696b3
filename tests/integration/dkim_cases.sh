# shellcheck shell=bash
# dkim_cases.sh - the DKIM and ADSP scenarios the MTA tests share
# (test_milter.sh, test_exim.sh); source it after lib.sh, with HERE and
# TOP set.  Each test sends every line of DKIM_SCENARIOS as a message and
# checks the delivered copy with its own check function (the tokens are
# those of its scenario table).  The messages are signed at test time by
# dkimpy (dkim_sign.py), a signer independent of ours, with the keys of
# tests/data/dkim/, whose public halves zones/dkim.example.org.zone
# publishes.  The expected verdicts were worked out by hand from the rule
# named above each line.

PY=/usr/bin/python3	# Debian's, with python3-dkim

# The messages: msgs/dkim.eml (a dot-stuffed line, blanks at line ends)
# with @FROM@ filled in, signed as PREP says, sent byte for byte (no
# newline after the last line: swaks would add an empty line) from
# 127.0.0.2 with MAIL FROM alice@spf-pass.example.org.  Columns: name,
# From: address, PREP, then the checks (METHOD=RESULT, PTYPE.PROP=VALUE,
# re:ERE, one-ours, top as in the tests' own tables).  PREP: steps,
# comma-separated, in order:
#   rsa[:SEL]      sign d=dkim.example.org s=SEL (rsa) with the RSA key,
#                  relaxed/simple
#   simple         the same, simple/simple (header bytes must reach the
#                  engine as they were sent: leading space, CRLF folds)
#   ed             sign s=ed with the Ed25519 key (RFC 8463)
#   expired        sign s=rsa with t= and x= in 2001
#   body           change a body line after signing
#   subject        change the (signed) Subject after signing
#   none           no signature
# dkim.example.org publishes no ADSP record: its own unsigned or broken
# mail is dkim-adsp=none; discard.dkim.example.org says dkim=discardable.
DKIM_SCENARIOS=$(cat <<'EOF'
# RFC 6376 6.1.3: both hashes verify -> pass; RFC 5617 2.7: a valid
# signature of the author domain -> dkim-adsp=pass (no lookup needed)
dkim-rsa      alice@dkim.example.org rsa     dkim=pass header.d=dkim.example.org header.i=@dkim.example.org header.s=rsa header.a=rsa-sha256 dkim-adsp=pass header.from=alice@dkim.example.org one-ours top
dkim-simple   alice@dkim.example.org simple  dkim=pass header.s=rsa dkim-adsp=pass one-ours
# RFC 8463: ed25519-sha256
dkim-ed25519  alice@dkim.example.org ed      dkim=pass header.d=dkim.example.org header.s=ed header.a=ed25519-sha256 dkim-adsp=pass one-ours
# 6.1.3 step 3: body hash differs -> fail; step 4: a signed field
# changed -> fail (RFC 8601 2.7.1); no valid author signature, no ADSP
# record -> none
dkim-body     alice@dkim.example.org rsa,body      dkim=fail header.s=rsa dkim-adsp=none re:dkim=fail[[:space:]]\(body one-ours
dkim-header   alice@dkim.example.org rsa,subject   dkim=fail header.s=rsa dkim-adsp=none re:dkim=fail[[:space:]]\(signature one-ours
# 3.6.1: empty p= is revoked; 6.1.2 step 3: no key record: key problems
# -> permerror (RFC 8601 2.7.1)
dkim-revoked  alice@dkim.example.org rsa:revoked   dkim=permerror header.s=revoked dkim-adsp=none one-ours
dkim-nokey    alice@dkim.example.org rsa:gone      dkim=permerror header.s=gone dkim-adsp=none one-ours
# 3.5 x=: expired -> policy (verifies, refused by local policy)
dkim-expired  alice@dkim.example.org expired       dkim=policy header.s=rsa re:dkim=policy[[:space:]]\(.*expired dkim-adsp=none one-ours
# two signatures, in header order: ed (made after the Subject changed)
# passes, rsa (made before) fails; one valid author signature: pass
dkim-two      alice@dkim.example.org rsa,subject,ed re:dkim=pass[[:space:]]header\.d=dkim\.example\.org[[:space:]]header\.i=@dkim\.example\.org[[:space:]]header\.s=ed[^;]*;[[:space:]]dkim=fail[[:space:]]\([^;]*\)[[:space:]]header\.d=dkim\.example\.org[[:space:]]header\.i=@dkim\.example\.org[[:space:]]header\.s=rsa dkim-adsp=pass one-ours
# RFC 5617 4.2.1 discardable: unsigned -> discard; a valid signature of
# another domain is no author domain signature (2.7) -> discard
adsp-discard  bob@discard.dkim.example.org none dkim=none dkim-adsp=discard header.from=bob@discard.dkim.example.org one-ours
adsp-3rdparty bob@discard.dkim.example.org rsa  dkim=pass header.d=dkim.example.org dkim-adsp=discard header.from=bob@discard.dkim.example.org one-ours
EOF
)

# dkim_prep FILE PREP - sign and alter FILE as PREP says (see above)
dkim_prep()
{
	local f=$1 step sel data
	local key=$TOP/tests/data/dkim/rsa2048.key ed=$TOP/tests/data/dkim/ed.key
	data=$(<"$f")	# no newline after the last line
	printf '%s' "$data" >"$f"
	for step in ${2//,/ }; do
		case $step in
		rsa|rsa:*)
			sel=rsa
			[[ $step == rsa:* ]] && sel=${step#rsa:}
			"$PY" "$HERE/dkim_sign.py" "$f" dkim.example.org "$sel" \
			    "$key" ;;
		simple) "$PY" "$HERE/dkim_sign.py" "$f" dkim.example.org rsa \
			    "$key" --canon simple/simple ;;
		ed) "$PY" "$HERE/dkim_sign.py" "$f" dkim.example.org ed "$ed" \
			    --alg ed25519-sha256 ;;
		expired) "$PY" "$HERE/dkim_sign.py" "$f" dkim.example.org rsa \
			    "$key" --expired ;;
		body) sed -i 's/^Hello Bob,$/Hello Eve,/' "$f" ;;
		subject) sed -i 's/^\(Subject: .*\)$/\1 (changed)/' "$f" ;;
		none) ;;
		*) echo "dkim_prep: unknown step $step" >&2; false ;;
		esac || return 1
	done
}
