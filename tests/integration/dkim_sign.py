#!/usr/bin/python3
# dkim_sign.py - sign an integration test message with dkimpy (Debian's
# python3-dkim), a signer independent of ours
#
#	dkim_sign.py FILE DOMAIN SELECTOR KEYFILE [--alg A] [--canon H/B]
#	    [--expired]
#
# FILE has LF line ends and no newline after its last line, as it_send
# hands it to swaks, which sends it with CRLF and one CRLF after the last
# line: that is the form signed.  The signature (folded with LF) is put
# on top of FILE.  --alg: rsa-sha256 (default), rsa-sha1 or
# ed25519-sha256 (KEYFILE then holds dknewkey's base64 seed); --canon:
# relaxed/simple by default.  --expired signs with t= and x= in 2001
# (RFC 6376 3.5): dkimsign and dkim.sign() cannot set x=, so the field is
# built here and signed by dkimpy's own header code (DKIM.gen_header).
# Signs From, To, Subject, Date and Message-ID (RFC 6376 5.4).  Exit 1
# with a message when dkimpy refuses.
import argparse
import base64
import hashlib
import sys

import dkim

HEADERS = [b"from", b"to", b"subject", b"date", b"message-id"]
EXPIRED_T, EXPIRED_X = b"1000000000", b"1000086400"


def sign_expired(wire, domain, selector, key, canon):
    # Only RSA: what the expired-signature case needs.
    d = dkim.DKIM(wire)
    d.signature_algorithm = b"rsa-sha256"
    d.hasher = dkim.HASH_ALGORITHMS[b"rsa-sha256"]
    pk = dkim.parse_pem_private_key(key)
    policy = dkim.CanonicalizationPolicy.from_c_value(canon)
    d.include_headers = tuple(HEADERS)
    bh = base64.b64encode(hashlib.sha256(
        policy.canonicalize_body(d.body)).digest())
    fields = [(b"v", b"1"), (b"a", b"rsa-sha256"), (b"c", canon),
              (b"d", domain), (b"i", b"@" + domain), (b"q", b"dns/txt"),
              (b"s", selector), (b"t", EXPIRED_T), (b"x", EXPIRED_X),
              (b"h", b" : ".join(HEADERS)), (b"bh", bh),
              (b"b", b"0" * 60)]
    return b"DKIM-Signature: " + d.gen_header(fields, tuple(HEADERS),
                                              policy, b"DKIM-Signature", pk)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("domain")
    ap.add_argument("selector")
    ap.add_argument("keyfile")
    ap.add_argument("--alg", default="rsa-sha256")
    ap.add_argument("--canon", default="relaxed/simple")
    ap.add_argument("--expired", action="store_true")
    a = ap.parse_args()
    data = open(a.file, "rb").read()
    key = open(a.keyfile, "rb").read()
    wire = data.replace(b"\n", b"\r\n") + b"\r\n"
    domain, selector = a.domain.encode(), a.selector.encode()
    canon = a.canon.encode()
    try:
        if a.expired:
            sig = sign_expired(wire, domain, selector, key, canon)
        else:
            sig = dkim.sign(wire, selector, domain, key,
                            canonicalize=tuple(canon.split(b"/")),
                            signature_algorithm=a.alg.encode(),
                            include_headers=HEADERS)
    except Exception as e:  # dkimpy's own errors, reported as they are
        print("dkim_sign.py: %s: %s" % (a.file, e), file=sys.stderr)
        return 1
    if not sig.startswith(b"DKIM-Signature:"):
        print("dkim_sign.py: %s: no signature" % a.file, file=sys.stderr)
        return 1
    open(a.file, "wb").write(sig.replace(b"\r\n", b"\n") + data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
