#!/usr/bin/env python3
"""Makes small PDF files that cost a reader far more than their size: decompression bombs
and their relatives, to check that eseal's reader refuses each within its budget.

Usage: make-bombs.py OUTDIR [--signed SIGNED.pdf]

Each bomb is an incremental update appended to SIGNED.pdf (a sealed document, as an attacker
would start from one), or, without --signed, to a one-page document made here. The input must
keep its objects outside object streams (eseal's own output does). Python 3 and zlib only.

    xref-stream-bomb.pdf   one cross-reference stream declaring 8 million entries (~59 KB)
    xref-entries-bomb.pdf  three updates, each declaring a million free entries
    dss-bomb.pdf           a /DSS whose /Certs names one double-Flate stream 1000 times
    streams-bomb.pdf       a /DSS whose /Certs names six double-Flate streams of 48 MiB each
    objstm-bomb.pdf        an object stream declaring a million members, holding a catalog
                           with an array of two million numbers
    content-bomb.pdf       a page whose /Contents names one double-Flate content stream of
                           deeply nested `q` operators three million times
"""

import argparse
import os
import re
import struct
import sys
import zlib

MIB = 1 << 20


def deflate(chunks):
    """zlib data of the concatenated chunks, compressed as they come (never held whole)."""
    c = zlib.compressobj(9)
    out = [c.compress(chunk) for chunk in chunks]
    out.append(c.flush())
    return b"".join(out)


def repeated(unit, total):
    """`total` bytes of `unit` over and over, as chunks of about a MiB."""
    chunk = unit * max(1, MIB // len(unit))
    left = total
    while left > 0:
        piece = chunk[: min(left, len(chunk))]
        left -= len(piece)
        yield piece


def double_flate(chunks):
    """A stream body whose data inflates twice to the chunks."""
    return stream(b"/Filter [/FlateDecode /FlateDecode]", deflate([deflate(chunks)]))


def stream(entries, data):
    return b"<< /Length %d %s >>\nstream\n%s\nendstream" % (len(data), entries, data)


class Pdf:
    """The input document: its bytes and what an update needs from its newest trailer."""

    def __init__(self, data):
        self.data = bytes(data)
        found = re.findall(rb"startxref\s+(\d+)", self.data[-2048:])
        if not found:
            sys.exit("the input has no startxref at its end")
        self.startxref = int(found[-1])
        trailer = self.trailer()
        root = re.search(rb"/Root\s*(\d+)\s+(\d+)\s+R", trailer)
        size = re.search(rb"/Size\s+(\d+)", trailer)
        if not root or not size:
            sys.exit("the newest trailer has no /Root or /Size")
        self.root = int(root.group(1))
        self.size = int(size.group(1))

    def trailer(self):
        """The newest trailer dictionary (or cross-reference stream dictionary) as text."""
        at = self.data[self.startxref:]
        if at.startswith(b"xref"):
            start = at.index(b"trailer")
            return dictionary(at, at.index(b"<<", start))
        return dictionary(at, at.index(b"<<"))

    def object(self, num):
        """The newest definition of object `num`, as the text between `obj` and `endobj`."""
        matches = list(re.finditer(rb"(?<![0-9])%d\s+(\d+)\s+obj\b" % num, self.data))
        if not matches:
            sys.exit(
                f"object {num} is not a direct object of the input "
                "(objects inside object streams are not read by this script)"
            )
        start = matches[-1].end()
        return self.data[start : self.data.index(b"endobj", start)].strip()

    def ref(self, text, key):
        found = re.search(rb"/%s\s*(\d+)\s+\d+\s+R" % key, text)
        if not found:
            sys.exit(f"no /{key.decode()} reference in {text[:80]!r}")
        return int(found.group(1))

    def first_page(self):
        """The number of the first page object."""
        node = self.ref(self.object(self.root), b"Pages")
        for _ in range(32):
            text = self.object(node)
            if not re.search(rb"/Type\s*/Pages\b", text):
                return node
            kids = re.search(rb"/Kids\s*\[\s*(\d+)\s+\d+\s+R", text)
            if not kids:
                sys.exit("the page tree has an empty /Kids")
            node = int(kids.group(1))
        sys.exit("the page tree is too deep")


def dictionary(data, start):
    """The balanced `<< … >>` starting at `start` of `data`."""
    depth, i = 0, start
    while i < len(data) - 1:
        pair = data[i : i + 2]
        if pair == b"<<":
            depth, i = depth + 1, i + 2
        elif pair == b">>":
            depth, i = depth - 1, i + 2
            if depth == 0:
                return data[start:i]
        else:
            i += 1
    sys.exit("unbalanced dictionary")


def with_entries(text, entries):
    """The dictionary `text` with `entries` added before its closing `>>`."""
    if not text.endswith(b">>"):
        sys.exit(f"not a dictionary: {text[:80]!r}")
    return text[:-2] + b" " + entries + b" >>"


def object_stream(objects, declared):
    """An object stream holding `objects`, declaring `declared` members: those it holds, then
    the last one again and again (each declared member is work for a reader)."""
    header, data, last = b"", b"", b""
    for num, body in objects:
        last = b"%d %d " % (num, len(data))
        header += last
        data += body + b" "
    header += last * (declared - len(objects))
    body = deflate([header, data])
    return stream(
        b"/Type /ObjStm /N %d /First %d /Filter /FlateDecode" % (declared, len(header)), body
    )


def append_update(pdf, objects, members=(), declared=None):
    """`pdf` (a Pdf) with an incremental update: `objects` (number, body) written directly,
    `members` (number, object stream) by their index, listed by a cross-reference stream.

    declared: (first, count, byte) subsections the cross-reference stream declares besides,
      each entry a row of seven such bytes (/W [1 4 2]; 0 is a free entry).
    """
    out = bytearray(pdf.data)
    if not out.endswith(b"\n"):
        out += b"\n"
    rows = {}
    for num, body in objects:
        rows[num] = struct.pack(">BIH", 1, len(out), 0)
        out += b"%d 0 obj\n%s\nendobj\n" % (num, body)
    for index, (num, stm) in enumerate(members):
        rows[num] = struct.pack(">BIH", 2, stm, index)
    xref = max([pdf.size] + [n + 1 for n in rows])
    at = len(out)
    rows[xref] = struct.pack(">BIH", 1, at, 0)
    index = b" ".join(b"%d 1" % n for n in sorted(rows))
    chunks = [b"".join(rows[n] for n in sorted(rows))]
    size = xref + 1
    for first, count, byte in declared or ():
        index += b" %d %d" % (first, count)
        chunks.extend(repeated(bytes([byte]) * 7, 7 * count))
        size = max(size, first + count)
    data = deflate(chunks)
    entries = b"/Type /XRef /Size %d /Index [%s] /W [1 4 2] /Root %d 0 R /Prev %d /Filter /FlateDecode" % (
        size,
        index,
        pdf.root,
        pdf.startxref,
    )
    out += b"%d 0 obj\n%s\nendobj\nstartxref\n%d\n%%%%EOF\n" % (xref, stream(entries, data), at)
    return Pdf(out)


def xref_stream_bomb(pdf):
    # Eight million free entries for object numbers past the document's own: 56 MB of rows.
    first = pdf.size + 1
    return append_update(pdf, [], declared=[(first, 8_000_000, 0)])


def xref_entries_bomb(pdf):
    for _ in range(3):
        first = pdf.size + 1
        pdf = append_update(pdf, [], declared=[(first, 1_000_000, 0)])
    return pdf


def streams_bomb(pdf):
    first = pdf.size
    streams = [(first + i, double_flate(repeated(b"\0", 48 * MIB))) for i in range(6)]
    refs = b"".join(b"%d 0 R " % n for n, _ in streams)
    catalog = with_entries(pdf.object(pdf.root), b"/DSS << /Certs [%s] >>" % refs)
    return append_update(pdf, streams + [(pdf.root, catalog)])


def dss_bomb(pdf):
    n = pdf.size
    refs = b"%d 0 R " % n * 1000
    catalog = with_entries(pdf.object(pdf.root), b"/DSS << /Certs [%s] >>" % refs)
    bomb = double_flate(repeated(b"\0", 80 * MIB))
    return append_update(pdf, [(n, bomb), (pdf.root, catalog)])


def objstm_bomb(pdf):
    stm = pdf.size
    numbers = b"0 " * 2_000_000
    catalog = with_entries(pdf.object(pdf.root), b"/Bomb [%s]" % numbers)
    held = object_stream([(pdf.root, catalog)], declared=1_000_000)
    return append_update(pdf, [(stm, held)], members=[(pdf.root, stm)])


def content_bomb(pdf):
    content, stm = pdf.size, pdf.size + 1
    page = pdf.first_page()
    # 80 MiB of `q` (save the graphics state) without a `Q`: nested forty million deep.
    drawing = double_flate(repeated(b"q\n", 80 * MIB))
    contents = b"%d 0 R " % content * 3_000_000
    text = re.sub(rb"/Contents\s*(\[[^\]]*\]|\d+\s+\d+\s+R)", b"", pdf.object(page))
    new_page = with_entries(text, b"/Contents [%s]" % contents)
    held = object_stream([(page, new_page)], declared=1)
    return append_update(pdf, [(content, drawing), (stm, held)], members=[(page, stm)])


BOMBS = {
    "xref-stream-bomb.pdf": xref_stream_bomb,
    "xref-entries-bomb.pdf": xref_entries_bomb,
    "dss-bomb.pdf": dss_bomb,
    "streams-bomb.pdf": streams_bomb,
    "objstm-bomb.pdf": objstm_bomb,
    "content-bomb.pdf": content_bomb,
}


def one_page():
    """A one-page document with a classic cross-reference table."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 /MediaBox [0 0 595 842] >>",
        b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>",
        stream(b"", b"BT /Helvetica 12 Tf 72 720 Td (bomb base) Tj ET"),
    ]
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for num, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (num, body)
    at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f\r\n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n\r\n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        at,
    )
    return bytes(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("outdir", help="directory to write the bombs into")
    parser.add_argument("--signed", help="a sealed PDF to append each bomb to")
    args = parser.parse_args()
    if args.signed:
        with open(args.signed, "rb") as f:
            base = f.read()
    else:
        base = one_page()
    os.makedirs(args.outdir, exist_ok=True)
    for name, make in BOMBS.items():
        bomb = make(Pdf(base))
        path = os.path.join(args.outdir, name)
        with open(path, "wb") as f:
            f.write(bomb.data)
        print(f"{path}\t{len(bomb.data)} bytes")


if __name__ == "__main__":
    main()
