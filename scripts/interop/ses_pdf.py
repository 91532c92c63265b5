#!/usr/bin/env python3
"""Extract the last signature of a PDF for an independent GB/T 38540 check.

  ses_pdf.py SIGNED.pdf OUT.der      -> writes the DER in /Contents, prints SM3(ByteRange bytes) hex

Written for the interop run, apart from eseal's code: finds the last /ByteRange by text, takes
the hex string in the gap, and hashes the two ranges with gmssl's SM3.
"""
import re
import sys

from gmssl import func, sm3

pdf = open(sys.argv[1], "rb").read()
br = [m for m in re.finditer(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", pdf)][-1]
a, b, c, d = (int(x) for x in br.groups())
hexstr = pdf[a + b + 1 : c - 1]
der = bytes.fromhex(hexstr.decode()).rstrip(b"\0")
open(sys.argv[2], "wb").write(der)
data = pdf[a : a + b] + pdf[c : c + d]
print(sm3.sm3_hash(func.bytes_to_list(data)))
