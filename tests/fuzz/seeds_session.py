#!/usr/bin/env python3
# seeds_session.py - regenerate tests/fuzz/corpus/session/ from messages:
# each seed is one SMTP session in fuzz_session.c's framing (op, 2-byte
# big-endian length, bytes).  The DKIM test messages (tests/data/dkim/,
# signed by dkimpy) go through a client that SPF lets pass, their header
# fields as an MTA hands them over (CRLF folds, no final CRLF), their body
# in a few chunks; a handful of sessions exercise the rest: forged
# Authentication-Results, excluded and authenticated clients, IPv6, HELO
# checks, two transactions, a reset, a new session.  Run from anywhere;
# the seeds are committed, CI does not run this.
import ipaddress
import os
import struct
import sys

TOP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
OUT = os.path.join(TOP, "tests", "fuzz", "corpus", "session")
CONNECT, HELO, AUTH, MAIL, HEADER, BODY, EOM, RESET, SESSION = range(9)
ID = "mx.example.jp"    # fuzz_session.c's authserv-id


def rec(op, data=b""):
    if isinstance(data, str):
        data = data.encode()
    return struct.pack(">BH", op, len(data)) + data


def ip(text):
    return rec(CONNECT, ipaddress.ip_address(text).packed)


def split(raw):
    """header fields (CRLF folds kept) and body of a message file"""
    raw = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    head, _, body = raw.partition(b"\r\n\r\n")
    fields = []
    for line in head.split(b"\r\n"):
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1] += b"\r\n" + line
        else:
            fields.append(line)
    return fields, body


def message(fields, body, chunks=3):
    out = b"".join(rec(HEADER, f) for f in fields)
    step = max(1, len(body) // chunks + 1)
    for i in range(0, len(body), step):
        out += rec(BODY, body[i:i + step])
    return out + rec(EOM)


def simple(frm, extra=(), body=b"Hello.\r\n"):
    fields = [b"From: " + frm.encode(), b"To: bob@example.test",
              b"Subject: test", b"Date: Mon, 1 Jan 2024 00:00:00 +0000"]
    return message([f.encode() if isinstance(f, str) else f
                    for f in extra] + fields, body)


def main():
    os.makedirs(OUT, exist_ok=True)
    seeds = {}
    ddir = os.path.join(TOP, "tests", "data", "dkim")
    for name in sorted(os.listdir(ddir)):
        if not name.endswith(".eml"):
            continue
        with open(os.path.join(ddir, name), "rb") as f:
            fields, body = split(f.read())
        seeds["dkim-" + name[:-4]] = (ip("192.0.2.10") +
            rec(HELO, "client.example.net") +
            rec(MAIL, "<alice@example.net>") + message(fields, body))
    forged = ["Authentication-Results: " + ID + "; spf=pass",
              "Authentication-Results: other.example; dkim=pass",
              "authentication-results:  MX.EXAMPLE.JP ;\r\n\tdkim=pass"]
    seeds["forged"] = (ip("192.0.2.10") + rec(MAIL, "<a@example.net>") +
        simple("a@example.net", forged))
    seeds["excluded"] = (ip("192.0.2.250") + rec(MAIL, "<a@example.net>") +
        simple("a@example.net", forged[:1]))
    seeds["auth"] = (ip("192.0.2.77") + rec(AUTH, "alice") +
        rec(MAIL, "<a@example.net>") + simple("a@example.net"))
    seeds["ipv6-sid"] = (ip("2001:db8::25") + rec(HELO, "mx.example.net") +
        rec(MAIL, "<>") + simple("Bob <b@example.net>",
        ["Sender: s@sid.example.net", "Resent-From: r@inc.example.net"]))
    seeds["macros"] = (ip("192.0.2.200") + rec(HELO, "[192.0.2.200]") +
        rec(MAIL, "<x-y@redir.example.net>") + simple("c@loop.example.net"))
    seeds["two-tx"] = (ip("192.0.2.10") + rec(HELO, "client.example.net") +
        rec(MAIL, "<a@two.example.net>") + simple("a@all.example") +
        rec(MAIL, "<a@bad.example.net>") + simple("a@discard.example") +
        rec(RESET) + rec(MAIL, "<a@nul.example.net>") +
        simple("a@slow.example", body=b""))
    seeds["sessions"] = (rec(CONNECT) + rec(MAIL, "a@alias.example.net") +
        simple("a@two.example") + rec(SESSION) + ip("::ffff:192.0.2.10") +
        rec(MAIL, "<a@pass.ec.example>") + simple("a@unknown.example") +
        rec(EOM))
    for name, data in seeds.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
    print("%d seeds in %s" % (len(seeds), os.path.relpath(OUT)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
