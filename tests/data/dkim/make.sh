#!/usr/bin/env bash
# make.sh - how the signed messages of this folder were made (not run by
# the tests: the files are kept as made, with the keys that made them)
#
#	cd tests/data/dkim && bash make.sh
#
# The signer is dkimpy (Debian's python3-dkim: dkimsign, and its Python
# interface for what dkimsign cannot do: l=, x=, a chosen h= list), an
# implementation independent of ours.  Messages are signed with CRLF line
# ends, as they travel, and stored with LF; tests/unit/test_engine_dkim.c
# puts the CR back when it reads them.  dkim.zone publishes the public
# keys (written out below) and the ADSP records.  Signing again changes
# t= and b=: only missing files are made (remove one to make it again),
# and the header.b values in test_engine_dkim.c must then be updated from
# the new file (the first 8 characters of each b=).
set -euo pipefail
cd "$(dirname "$0")"
PY=/usr/bin/python3	# Debian's, with python3-dkim

[ -f rsa2048.key ] || openssl genrsa -traditional -out rsa2048.key 2048
[ -f rsa512.key ] || openssl genrsa -traditional -out rsa512.key 512
[ -f ed.key ] || dknewkey --ktype ed25519 ed >/dev/null

# base NAME FROM - the unsigned message, CRLF (trailing blanks on purpose:
# simple and relaxed body canonicalisation differ on them)
base()
{
	printf '%s\r\n' \
	    "From: Alice <$2>" \
	    "To: Bob <bob@example.test>" \
	    "Subject: DKIM test $1" \
	    "Date: Mon, 01 Jan 2024 00:00:00 +0000" \
	    "Message-ID: <$1@example.net>" \
	    "" \
	    "Hello Bob," \
	    "" \
	    "this message is signed for the engine's DKIM tests.  " \
	    "Blanks  inside	and at the end stay as they are. " \
	    "" \
	    ""
}

# sign SELECTOR KEY [dkimsign options...] - stdin signed to stdout
sign()
{
	local s=$1 k=$2 in
	shift 2
	in=$(mktemp)
	cat >"$in"
	dkimsign "$@" "$s" example.net "$k" <"$in"
	rm -f "$in"
}

# pysign MODE SELECTOR KEY - dkimpy's Python interface: MODE "length"
# signs with l=; "expired" with t= and x= in 2001 (dkimsign has no
# option for either)
pysign()
{
	"$PY" -c '
import sys, dkim
mode, sel, keyfile = sys.argv[1], sys.argv[2].encode(), sys.argv[3]
msg = sys.stdin.buffer.read()
key = open(keyfile, "rb").read()
if mode == "length":
    sig = dkim.sign(msg, sel, b"example.net", key, length=True)
else:
    d = dkim.DKIM(msg)
    d.signature_algorithm = b"rsa-sha256"
    d.hasher = dkim.HASH_ALGORITHMS[b"rsa-sha256"]
    pk = dkim.parse_pem_private_key(key)
    canon = dkim.CanonicalizationPolicy.from_c_value(b"relaxed/simple")
    hdrs = tuple(x.lower() for x in d.default_sign_headers())
    d.include_headers = hdrs
    body = canon.canonicalize_body(d.body)
    import base64, hashlib
    bh = base64.b64encode(hashlib.sha256(body).digest())
    fields = [(b"v", b"1"), (b"a", b"rsa-sha256"),
        (b"c", b"relaxed/simple"), (b"d", b"example.net"),
        (b"i", b"@example.net"), (b"q", b"dns/txt"), (b"s", sel),
        (b"t", b"1000000000"), (b"x", b"1000086400"),
        (b"h", b" : ".join(hdrs)), (b"bh", bh), (b"b", b"0" * 60)]
    sig = b"DKIM-Signature: " + d.gen_header(fields, hdrs, canon,
        b"DKIM-Signature", pk)
sys.stdout.buffer.write(sig + msg)
' "$1" "$2" "$3"
}

# have NAME - NAME.eml is there already: keep it
have() { [ -f "$1.eml" ]; }

# store NAME - stdin (CRLF) to NAME.eml with LF; dkimsign prints the
# message unsigned when it fails, so a missing signature stops here
store()
{
	sed 's/\r$//' >"$1.eml"
	grep -q '^DKIM-Signature:' "$1.eml" ||
	    { echo "$1: not signed" >&2; exit 1; }
}

A=alice@example.net
have rsa-pass ||
    base rsa-pass $A | sign rsa rsa2048.key | store rsa-pass
have rsa-simple ||
    base rsa-simple $A | sign rsa rsa2048.key --hcanon simple \
    --bcanon simple | store rsa-simple
have rsa-relaxed ||
    base rsa-relaxed $A | sign rsa rsa2048.key --bcanon relaxed |
    store rsa-relaxed
have ed-pass ||
    base ed-pass $A | sign ed ed.key --signalg ed25519-sha256 |
    store ed-pass
# RFC 6376 6.1.3 step 3: a body line changed after signing
have body-changed ||
    base body-changed $A | sign rsa rsa2048.key |
    sed 's/Hello Bob,/Hello Eve,/' | store body-changed
# 6.1.3 step 4: a signed header field changed after signing
have header-changed ||
    base header-changed $A | sign rsa rsa2048.key |
    sed 's/^Subject: DKIM test header-changed/Subject: DKIM test changed/' |
    store header-changed
# 6.1.2: the key record is revoked (empty p=), or there is none
have revoked ||
    base revoked $A | sign revoked rsa2048.key | store revoked
have missing-key ||
    base missing-key $A | sign gone rsa2048.key | store missing-key
# 6.1.2 step 2: the key lookup times out (dkim.zone: TIMEOUT)
have key-timeout ||
    base key-timeout $A | sign slow rsa2048.key | store key-timeout
# 3.5 x=: expired in 2001
have expired ||
    base expired $A | pysign expired rsa rsa2048.key | store expired
# two signatures: rsa made first, then Subject changed, then ed made
have two-sigs ||
    base two-sigs $A | sign rsa rsa2048.key |
    sed 's/^Subject: DKIM test two-sigs/Subject: DKIM test two-sigs changed/' |
    sign ed ed.key --signalg ed25519-sha256 | store two-sigs
# three good signatures, for dkim.signheader_limit
have three-sigs ||
    base three-sigs $A | sign rsa rsa2048.key |
    sign ed ed.key --signalg ed25519-sha256 |
    sign rsa rsa2048.key --bcanon relaxed | store three-sigs
# RFC 8301: rsa-sha1, a 512-bit key
have sha1 ||
    base sha1 $A | sign rsa rsa2048.key --signalg rsa-sha1 | store sha1
have small-key ||
    base small-key $A | sign small rsa512.key | store small-key
# RFC 6376 3.6.1 t=y: the key is in testing mode
have testing ||
    base testing $A | sign testing rsa2048.key | store testing
# 3.5 l=: a line added after signing, outside the signed length
have partial ||
    base partial $A | pysign length rsa rsa2048.key | sed '$a\
Added after signing.' | store partial
# no body at all: simple canonicalisation hashes one CRLF (3.4.3)
have empty-body ||
    base empty-body $A | sed '/^\r$/q' | sign rsa rsa2048.key |
    store empty-body
# RFC 5617: a valid third-party signature on mail from an ADSP domain
have adsp-thirdparty ||
    base adsp-thirdparty bob@discard.example | sign rsa rsa2048.key |
    store adsp-thirdparty

# dkim.zone - the public keys as TXT strings of at most 255 bytes
txtkey()
{
	openssl pkey -in "$1" -pubout -outform DER 2>/dev/null | base64 -w0 |
	    fold -w 200 | sed 's/.*/"&"/' | tr '\n' ' ' |
	    sed 's/ $//'
}
{
	cat <<'EOF'
; dkim.zone - keys and ADSP records for tests/unit/test_engine_dkim.c,
; made by make.sh from the keys of this folder.  The verdict each name
; gives is in the comment above it, with its rule.
$ORIGIN example.net.
$TTL 300
@			IN A	192.0.2.1
EOF
	rsa=$(txtkey rsa2048.key)
	ed=$(sed -n 's/.*p=//p' ed.dns | tr -d '\n')
	echo "; RFC 6376 3.6.1: an RSA key (k= defaults to rsa), 2048 bits"
	echo "rsa._domainkey		IN TXT	\"v=DKIM1; p=\" $rsa"
	echo "; RFC 8463 4.2: an Ed25519 key, the raw 32 bytes"
	echo "ed._domainkey		IN TXT	\"v=DKIM1; k=ed25519; p=$ed\""
	echo "; RFC 6376 3.6.1: an empty p= is a revoked key: permerror"
	echo "revoked._domainkey	IN TXT	\"v=DKIM1; k=rsa; p=\""
	echo "; RFC 8301 3.2: 512 bits, under the 1024 a verifier must require"
	echo "small._domainkey	IN TXT	\"v=DKIM1; k=rsa; p=\"" \
	    "$(txtkey rsa512.key)"
	echo "; RFC 6376 3.6.1 t=y: testing mode, the same key as rsa"
	echo "testing._domainkey	IN TXT	\"v=DKIM1; t=y; p=\" $rsa"
	echo "; RFC 6376 6.1.2 step 2: the lookup times out: temperror"
	echo "slow._domainkey		IN TIMEOUT"
	cat <<'EOF'

; RFC 5617 4.2.1: the practices; 4.3: each author domain exists (A)
$ORIGIN discard.example.
@			IN A	192.0.2.2
_adsp._domainkey	IN TXT	"dkim=discardable"
$ORIGIN all.example.
@			IN A	192.0.2.3
_adsp._domainkey	IN TXT	"dkim=all"
$ORIGIN unknown.example.
@			IN A	192.0.2.4
_adsp._domainkey	IN TXT	"dkim=unknown"
; RFC 5617 4.3: the domain exists and has no ADSP record: none
$ORIGIN none.example.
@			IN A	192.0.2.5
; RFC 5617 4.3: two ADSP records: no way to choose (permerror)
$ORIGIN two.example.
@			IN A	192.0.2.6
_adsp._domainkey	IN TXT	"dkim=all"
_adsp._domainkey	IN TXT	"dkim=unknown"
; nx.example does not exist: RFC 5617 4.3 step 1, nxdomain
EOF
} >dkim.zone
