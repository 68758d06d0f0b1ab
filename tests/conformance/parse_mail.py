#!/usr/bin/env python3
"""Parses delivered messages with Python's email package (policy default)
and prints what the postfix conformance test checks, as JSON: the decoded
headers, every defect the parser found (in the message, in each part, in
each header), the parts' decoded contents, and the longest header lines.

usage: parse_mail.py FILE...  (a file that is "-" is read from stdin)
"""
import email
import email.policy
import json
import re
import sys


def header_lines(raw):
    """The lines of the header section, as sent (CRLF or LF)."""
    head = re.split(rb"\r?\n\r?\n", raw, maxsplit=1)[0]
    return re.split(rb"\r?\n", head)


def parse(raw):
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    defects = []
    parts = []
    for part in msg.walk():
        for d in part.defects:
            defects.append(f"{part.get_content_type()}: {type(d).__name__}: {d}")
        for name, value in part.items():
            for d in getattr(value, "defects", ()):
                defects.append(f"{name}: {type(d).__name__}: {d}")
        if part.is_multipart():
            parts.append({"type": part.get_content_type()})
            continue
        content = part.get_content()
        if isinstance(content, bytes):
            content = content.decode("utf-8", "replace")
        parts.append({
            "type": part.get_content_type(),
            "charset": part.get_content_charset(),
            "cte": part.get("Content-Transfer-Encoding"),
            "filename": part.get_filename(),
            "content": content,
        })
    # the header lines of the message and of every part, as sent
    lines = [l.decode("latin-1") for l in header_lines(raw)]
    body_lines = re.split(rb"\r?\n", raw)
    encoded = [l for l in lines if "=?" in l]
    words = re.findall(r"=\?[^?]+\?[QqBb]\?[^?]*\?=", "\n".join(lines))

    def addrs(name):
        h = msg[name]
        if h is None:
            return None
        return [{"name": a.display_name, "address": a.addr_spec} for a in h.addresses]

    return {
        "defects": defects,
        "subject": msg["subject"],
        "from": addrs("from"),
        "to": addrs("to"),
        "message_id": msg["message-id"],
        "in_reply_to": msg["in-reply-to"],
        "references": msg["references"],
        "date": msg["date"].datetime.isoformat() if msg["date"] else None,
        "auto_submitted": msg["auto-submitted"],
        "content_language": msg["content-language"],
        "received": [str(r) for r in msg.get_all("received", [])],
        "parts": parts,
        "header_lines": lines,
        "longest_header_line": max(len(l) for l in lines),
        "longest_encoded_line": max((len(l) for l in encoded), default=0),
        "longest_encoded_word": max((len(w) for w in words), default=0),
        "longest_line": max(len(l) for l in body_lines),
    }


def main():
    out = []
    for path in sys.argv[1:]:
        raw = sys.stdin.buffer.read() if path == "-" else open(path, "rb").read()
        out.append(parse(raw))
    json.dump(out, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
