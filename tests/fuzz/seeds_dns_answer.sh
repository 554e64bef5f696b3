#!/usr/bin/env bash
# seeds_dns_answer.sh - regenerate tests/fuzz/corpus/dns_answer/ from real
# answers: unbound (as the integration harness starts it) serves the zone
# below, drill asks it and writes each answer packet (-w), which is turned
# from drill's hex dump into the raw bytes the fuzz target reads.  Seeds
# that no sane server gives (a packet cut short, a CNAME chain with other
# records between its links) are derived from those.  Needs
# `scripts/deps.sh mta`; not run by CI (the seeds are committed).
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/integration/lib.sh

OUT=tests/fuzz/corpus/dns_answer
it_init dns-seeds

# repeat CHAR N - CHAR N times
repeat() { printf "%*s" "$2" '' | tr ' ' "$1"; }

Z=$IT_DIR/seeds.conf
{
	cat <<'EOF2'
local-zone: "example.org." static
local-data: "example.org. 300 IN SOA ns.example.org. hostmaster.example.org. 1 3600 600 86400 300"
local-data: "a.example.org. 300 IN A 192.0.2.1"
local-data: "a.example.org. 300 IN A 192.0.2.2"
local-data: "a.example.org. 300 IN AAAA 2001:db8::1"
local-data: "example.org. 300 IN MX 10 mail.example.org."
local-data: "example.org. 300 IN MX 20 MX2.Example.ORG."
local-data: 'example.org. 300 IN TXT "v=spf1 " "ip4:192.0.2.0/24 " "-all"'
local-data: 'example.org. 300 IN SPF "spf2.0/mfrom,pra " "-all"'
local-data: 'empty.example.org. 300 IN TXT ""'
local-data: "c1.example.org. 300 IN CNAME c2.example.org."
local-data: "c2.example.org. 300 IN CNAME a.example.org."
local-data: "cnx.example.org. 300 IN CNAME gone.example.org."
local-data: 'sel._domainkey.example.org. 300 IN TXT "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDwIRP/UC3SBsEmGqZ9ZJW3/DkMoGeLnQg1fWn7/zYtIxN2SnFCjxOCKG9v3b4jYfcTNh5ijSsq631uBItLa7od+v/RtdC2UzJ1lWT947qR+Rcac2gbto/NMqJ0fzfVjH4OuKhitdY9tf6mcwGjaNBcWToIMmPSPDdQPNUYckcQ2QIDAQAB"'
local-data: 'big.example.org. 300 IN TXT "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb" "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"'
local-zone: "2.0.192.in-addr.arpa." static
local-data: "2.0.192.in-addr.arpa. 300 IN SOA ns.example.org. hostmaster.example.org. 1 3600 600 86400 300"
local-data: "1.2.0.192.in-addr.arpa. 300 IN PTR a.example.org."
EOF2
} >"$Z"

it_ok "unbound starts" it_dns_start --servfail servfail.example.org "$Z"

# seed FILE NAME TYPE [DRILL OPTION...] - one answer, as raw bytes
seed()
{
	local f=$1 name=$2 type=$3 hex=$IT_DIR/$1.hex
	shift 3
	drill -Q -p "$IT_DNS_PORT" "$@" -w "$hex" "$name" @127.0.0.1 "$type" \
	    >/dev/null || { it_fail "drill $name $type"; return 1; }
	# drill's dump: "; comment" lines and hex digits in groups
	sed 's/;.*//' "$hex" | tr -cd "0-9a-fA-F" |
	    perl -e 'local $/; print pack("H*", <STDIN>)' >"$OUT/$f"
	it_pass "$f: $(wc -c <"$OUT/$f") bytes"
}

seed a a.example.org A
seed aaaa a.example.org AAAA
seed mx example.org MX
seed txt_multi example.org TXT
seed spf example.org SPF
seed txt_empty empty.example.org TXT
seed dkim_key sel._domainkey.example.org TXT
seed cname_chain c1.example.org A
seed cname_nx cnx.example.org A
seed nxdomain nope.example.org TXT
seed nodata a.example.org MX
seed ptr 1.2.0.192.in-addr.arpa PTR
seed servfail x.servfail.example.org A
seed edns_big big.example.org TXT -b 4096
# over 512 bytes without EDNS0: unbound sets TC and drops the records
seed truncated big.example.org TXT -b 512 -o tc
# Answers from ldns-testns, canned (unbound keeps a local CNAME chain to
# its first link): a chain with another name's record between its links,
# a loop, mixed-case owners, escapes in a name, a null MX, the AD bit.
T=$IT_DIR/testns.data
# entry FLAGS QNAME QTYPE [RR...] - one canned answer
entry()
{
	local flags=$1 q=$2 t=$3 rr
	shift 3
	printf 'ENTRY_BEGIN\nMATCH opcode qtype qname\nADJUST copy_id\n'
	printf 'REPLY QR RD RA %s\nSECTION QUESTION\n%s IN %s\n' \
	    "$flags" "$q" "$t"
	printf 'SECTION ANSWER\n'
	for rr; do printf '%s\n' "$rr"; done
	printf 'ENTRY_END\n\n'
}
{
	entry NOERROR chain.test. A 'chain.test. 300 IN CNAME mid.test.' \
	    'other.test. 300 IN A 192.0.2.52' \
	    'MID.test. 300 IN CNAME end.test.' \
	    'end.test. 300 IN A 192.0.2.50' 'end.test. 300 IN A 192.0.2.51'
	entry NOERROR loop.test. A 'loop.test. 300 IN CNAME loop2.test.' \
	    'loop2.test. 300 IN CNAME loop.test.'
	entry NOERROR owners.test. A 'other.test. 300 IN A 192.0.2.20' \
	    'OwNeRs.test. 300 IN A 192.0.2.21' \
	    'owners.test. 300 IN AAAA 2001:db8::21' \
	    'owners.test. 300 IN TXT "not an A"'
	entry NOERROR escape.test. PTR \
	    'escape.test. 300 IN PTR We\.Ird\032Name.Example.'
	entry NOERROR nullmx.test. MX 'nullmx.test. 300 IN MX 0 .'
	entry 'AD NOERROR' ad.test. TXT 'ad.test. 300 IN TXT "v=spf1" " -all"'
	entry FORMERR formerr.test. A
} >"$T"
PORT_testns=$(it_free_port)
it_spawn testns "$IT_DIR/testns.log" ldns-testns -p "$PORT_testns" "$T"
it_ok "ldns-testns starts" it_wait_listening testns "$PORT_testns" u 0.0.0.0
IT_DNS_PORT=$PORT_testns
seed cname_chain2 chain.test A
seed cname_loop loop.test A
seed owners owners.test A
seed ptr_escape escape.test PTR
seed nullmx nullmx.test MX
seed ad ad.test TXT
seed formerr formerr.test A

# a packet cut in the middle of its answer section
head -c 60 "$OUT/txt_multi" >"$OUT/cut" && it_pass "cut"
it_summary
