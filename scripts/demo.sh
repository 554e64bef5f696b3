#!/usr/bin/env bash
# demo.sh - ENMA at work: real Postfix 3.7 with the enma milter, unbound on
# loopback serving example zones, a handful of messages, and the
# Authentication-Results: header each one was delivered with: the SPF
# results, Sender ID, a DKIM-signed message and the same message altered
# after signing, and forged Authentication-Results removed.  Run by
# `make demo` after the build (needs root: private mount namespaces, as in
# the integration tests).  Everything started here is stopped at the end.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
IT=$TOP/tests/integration
ENMA=${ENMA:-$TOP/build/enma}
SIDFQUERY=$TOP/build/sidfquery
PY=/usr/bin/python3	# Debian's, with python3-dkim (dkimpy) to sign
AUTHSERV=mx.example.test

bash "$TOP/scripts/deps.sh" mta || exit 1
. "$IT/lib.sh"
for b in "$ENMA" "$SIDFQUERY"; do
	[ -x "$b" ] || { echo "demo: $b missing: run make first" >&2; exit 1; }
done

# Each sample: label, MAIL FROM, and what the RFCs say of it.  All come
# from 127.0.0.2, HELO client.example.org; From: is the MAIL FROM address
# unless said otherwise.
SAMPLES=$(cat <<'EOF'
pass       alice@spf-pass.example.org      SPF: the record lists the client's address (ip4:127.0.0.2)
fail       alice@spf-fail.example.org      SPF: the record ends in -all and nothing matched
softfail   alice@spf-softfail.example.org  SPF: ~all, probably not authorised
none       alice@spf-none.example.org      SPF: the domain has no SPF record
permerror  alice@spf-permerror.example.org SPF: the record has a syntax error ("bogus")
temperror  alice@servfail.example.org      SPF: the DNS server answers SERVFAIL
sender-id  alice@spf-none.example.org      Sender ID: From: alice@sid-pass.example.org, checked with spf2.0/pra
dkim-pass  alice@spf-pass.example.org      DKIM: signed by dkim.example.org (RSA 2048, dkimpy), From: alice@dkim.example.org
dkim-fail  alice@spf-pass.example.org      DKIM: the same signed message, one body line changed after signing
forged     alice@spf-pass.example.org      forged Authentication-Results with our authserv-id, and a foreign one
EOF
)

ENMA_DEMO_PID=
demo_cleanup()
{
	if [ -n "$ENMA_DEMO_PID" ]; then
		kill -KILL "$ENMA_DEMO_PID" 2>/dev/null
		wait "$ENMA_DEMO_PID" 2>/dev/null
	fi
	_it_cleanup
}

# txt NAME - the TXT records of NAME on the demo DNS server, or, when it
# gave none, its answer: (SERVFAIL), (NXDOMAIN), (no TXT record)
txt()
{
	timeout 3 drill -p "$IT_DNS_PORT" @127.0.0.1 "$1" TXT |
	    awk -v n="$1." '
		/->>HEADER<<-/ {
			rc = $0
			sub(/.*rcode: */, "", rc)
			sub(/,.*/, "", rc)
		}
		$1 == n && $4 == "TXT" { sub(/^[^"]*/, ""); print; got = 1 }
		END {
			if (got)
				exit
			if (rc == "" || rc == "NOERROR")
				print "(no TXT record)"
			else
				print "(" rc ")"
		}'
}

# dns NAME - one "DNS:" line, long records cut
dns()
{
	local rec
	rec=$(txt "$1")
	[ ${#rec} -gt 52 ] && rec="${rec:0:48} ..."
	printf '   DNS:       %s TXT %s\n' "$1" "$rec"
}

# message LABEL TEMPLATE FROM - a message file from tests/integration/msgs
message()
{
	local f=$IT_DIR/demo-$1.eml
	sed -e "s/@TESTID@/demo-$1/g" -e "s/@FROM@/$3/g" "$IT/msgs/$2.eml" >"$f"
	echo "$f"
}

# signed LABEL - msgs/dkim.eml from alice@dkim.example.org, signed by
# dkimpy (an independent signer) with the key the zone publishes; sent
# byte for byte, so no newline after the last line (see dkim_cases.sh)
signed()
{
	local f data
	f=$(message "$1" dkim alice@dkim.example.org)
	data=$(<"$f")
	printf '%s' "$data" >"$f"
	"$PY" "$IT/dkim_sign.py" "$f" dkim.example.org rsa \
	    "$TOP/tests/data/dkim/rsa2048.key" || return 1
	echo "$f"
}

# deliver LABEL MAILFROM FILE - send, wait; the delivered file, or a note
deliver()
{
	local f
	if ! it_send postfix --source 127.0.0.2 --from "$2" --data "$3"; then
		echo "   NOT ACCEPTED; transcript:"
		sed 's/^/      /' "$IT_SEND_LOG"
		return 1
	fi
	f=$(it_wait_delivered postfix "^X-Enma-Test: demo-$1[[:space:]]*$")
	if [ -z "$f" ]; then
		echo "   not delivered within ${IT_DELIVERY_TIMEOUT}s"
		return 1
	fi
	DELIVERED=$f
}

# fields FILE MODE - the Authentication-Results fields of the header:
# MODE ours: those with our authserv-id (any case), folded as delivered;
# other: the values of the others, one line each; all: every value
fields()
{
	awk -v mode="$2" -v id="$AUTHSERV" '
	function flush() {
		if (cur == "")
			return
		v = cur
		sub(/^[^:]*:[ \t]*/, "", v)
		match(v, /^[^ \t;(]+/)
		mine = tolower(substr(v, 1, RLENGTH)) == id
		gsub(/\n[ \t]+/, " ", v)
		if (mine && mode == "ours")
			print cur
		else if ((!mine && mode == "other") || mode == "all")
			print v
		cur = ""
	}
	/^$/ { flush(); exit }
	/^[ \t]/ { if (cur != "") cur = cur "\n" $0; next }
	{ flush(); if (tolower($0) ~ /^authentication-results:/) cur = $0 }
	END { flush() }' "$1"
}

# sigtags FILE - the tags of its DKIM-Signature that say what was signed
sigtags()
{
	awk '/^DKIM-Signature:/ { on = 1; sig = $0; next }
	    on && /^[ \t]/ { sig = sig $0; next }
	    on { exit }
	    END {
		sub(/^DKIM-Signature:/, "", sig)
		gsub(/[ \t]/, "", sig)
		n = split(sig, t, ";")
		for (i = 1; i <= n; i++)
			if (t[i] ~ /^(a|c|d|s|h)=/)
				out = out (out == "" ? "" : " ") t[i]
		print out
	    }' "$1"
}

# show LABEL MAILFROM WHY - send one sample and print its delivered header
show()
{
	local label=$1 mfrom=$2 why=$3 from=$2 data
	printf '\n== %s: %s\n' "$label" "$why"
	case $label in
	sender-id)
		from=alice@sid-pass.example.org ;;
	dkim-*)
		from=alice@dkim.example.org ;;
	esac
	case $label in
	dkim-pass)
		data=$(signed "$label") || return ;;
	dkim-fail)
		data=$(signed "$label") || return
		sed -i 's/^Hello Bob,$/Hello Eve,/' "$data" ;;
	forged)
		data=$(message "$label" forged-two "$from") ;;
	*)
		data=$(message "$label" basic "$from") ;;
	esac
	printf '   sent:      MAIL FROM:<%s>, From: %s\n' "$mfrom" "$from"
	case $label in
	dkim-*)
		printf '   signed:    %s\n' "$(sigtags "$data")"
		[ "$label" = dkim-fail ] &&
		    echo '   altered:   "Hello Bob," became "Hello Eve," after signing'
		dns rsa._domainkey.dkim.example.org ;;
	forged)
		fields "$data" all | sed 's/^/   in it:     /' ;;
	*)
		dns "${mfrom#*@}" ;;
	esac
	[ "$label" = sender-id ] && dns sid-pass.example.org
	deliver "$label" "$mfrom" "$data" || return
	echo "   delivered:"
	fields "$DELIVERED" ours | sed 's/^/      /'
	if [ "$label" = forged ]; then
		fields "$DELIVERED" other | sed 's/^/   kept:      /'
		echo "   (both fields with our authserv-id, $AUTHSERV in any case, are"
		echo "   gone: only ours is left; the other ADMD's field is not ours to"
		echo "   judge and stays)"
	fi
}

it_init demo
trap demo_cleanup EXIT

echo "Starting unbound (zones $IT/zones/), enma and Postfix ..."
it_dns_start --servfail servfail.example.org --timeout timeout.example.org \
    "$IT/zones/example.org.zone" "$IT/zones/dkim.example.org.zone" || exit 1
EPORT=$(it_free_port) || exit 1
"$ENMA" -f -c /dev/null -o "milter.socket=inet:$EPORT@127.0.0.1" \
    -o milter.pidfile= -o "authresult.identifier=$AUTHSERV" \
    -o common.exclusion_addresses=127.0.0.1 \
    -o dns.nameservers=127.0.0.1 -o "dns.port=$IT_DNS_PORT" \
    -o dns.timeout=2 -o dns.retries=1 \
    </dev/null >"$IT_DIR/enma.log" 2>&1 &
ENMA_DEMO_PID=$!
it_wait_until 10 eval "[[ \$(ss -Hltn 'sport = :$EPORT') == *127.0.0.1:$EPORT* ]]" || {
	echo "demo: enma did not start:" >&2
	cat "$IT_DIR/enma.log" >&2
	exit 1
}
it_postfix_start "inet:$EPORT@127.0.0.1" || exit 1
printf 'DNS on 127.0.0.1:%s, enma on 127.0.0.1:%s, Postfix on 127.0.0.1:%s\n' \
    "$IT_DNS_PORT" "$EPORT" "$IT_POSTFIX_PORT"
echo "Each message goes to Postfix over SMTP from 127.0.0.2 (HELO client.example.org);"
echo "enma adds Authentication-Results (RFC 8601) at the top."

while read -r label mfrom why; do
	show "$label" "$mfrom" "$why"
done <<<"$SAMPLES"

printf '\n== enma logged one line per message:\n'
grep -E ': client=' "$IT_DIR/enma.log" | sed 's/^.* info: /   /'

printf '\n== sidfquery -v explains a verdict against the same DNS server:\n'
echo "   \$ sidfquery -v -S 127.0.0.1 -P $IT_DNS_PORT alice@spf-fail.example.org 127.0.0.2"
"$SIDFQUERY" -v -S 127.0.0.1 -P "$IT_DNS_PORT" alice@spf-fail.example.org \
    127.0.0.2 2>&1 | sed 's/^/   /'

printf '\nStopping Postfix, enma (libmilter takes about 5 s) and unbound ...\n'
it_postfix_stop
kill -TERM "$ENMA_DEMO_PID"
wait "$ENMA_DEMO_PID"
ENMA_DEMO_PID=
it_dns_stop
echo "Done."
