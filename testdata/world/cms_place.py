#!/usr/bin/env python3
"""cms_place.py - the hand-written producer: our own incremental-update writer (signature field,
/ByteRange, /Contents placeholder; classic xref sections) around CMS objects made by
`openssl cms -sign` / `openssl ts`, plus the structural variants other producers write.
Runs in the interop kit's venv (asn1crypto and cryptography, for the cases openssl cms cannot
make: an unsigned timestamp attribute, signed attributes out of DER order).
Environment: WORLD_OUT, WORLD_PKI.

Files (all signed over the corpus's plain page; signer RSA-2048 unless said):
  ber-rsa2048.pdf        openssl cms -sign -stream -binary -outform DER: BER, indefinite lengths
  ber-p384.pdf           the same with the P-384 key and SHA-384
  der-rsa2048.pdf        openssl cms -sign -binary -outform DER (no -stream: definite lengths)
  itext-comment.pdf      revision 2 signed (BER) with "%iText-Core-7.2.5" between its trailer and
                         startxref, then revision 3 signed by a second signer
  no-eol-eof.pdf         the signed revision ends with "%%EOF" and no end-of-line; ByteRange ends there
  trailing-junk.pdf      a signed file with bytes after the last %%EOF (no revision accounts for them)
  two-signerinfos.pdf    one CMS with two SignerInfos (openssl cms -sign with two -signer)
  ts-fraction-sigts.pdf  a signature with a signature timestamp token from `openssl ts -reply`,
                         clock_precision_digits = 3 (genTime with milliseconds)
  ts-fraction-docts.pdf  a signature, then a /DocTimeStamp (/ETSI.RFC3161) with such a token
  docts-type-sig.pdf     the same document timestamp, but its dictionary says /Type /Sig
  ocsp-in-crls.pdf       an OCSP response in SignedData.crls (OtherRevocationInfoFormat, RFC 5940)
  prev-off.pdf           two signed revisions, the second trailer's /Prev off by 7 bytes
  unsorted-attrs.pdf     signed attributes written messageDigest, contentType, signingTime (not
                         DER SET OF order) and signed as sent (pyHanko/pdfsig/Acrobat accept it)
"""
import hashlib
import os
import re
import subprocess
import sys
import tempfile
from datetime import datetime, timezone

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
import world  # noqa: E402
from world import PKI, out_path, record, root_of  # noqa: E402

P = "cms"
HOLE = 16384  # bytes reserved for the CMS (hex doubles it)
TMP = tempfile.mkdtemp(prefix="world-cms-")


def last_obj(data, num):
    """Body (between 'N 0 obj' and 'endobj') of the latest definition of object num."""
    ms = list(re.finditer(rb"(?<![0-9])%d 0 obj\s*(.*?)\s*endobj" % num, data, re.S))
    if not ms:
        raise ValueError(f"object {num} not found")
    return ms[-1].group(1)


def trailer_info(data):
    t = data[data.rfind(b"trailer"):]
    size = int(re.search(rb"/Size\s+(\d+)", t).group(1))
    root = int(re.search(rb"/Root\s+(\d+)\s+0\s+R", t).group(1))
    info = re.search(rb"/Info\s+(\d+)\s+0\s+R", t)
    idm = re.search(rb"/ID\s*(\[\s*<[0-9a-fA-F]*>\s*<[0-9a-fA-F]*>\s*\])", t)
    prev = int(re.findall(rb"startxref\s+(\d+)", data)[-1])
    return size, root, (int(info.group(1)) if info else None), (idm.group(1) if idm else None), prev


def add_before_end(d, extra):
    """Insert text before the final >> of a dictionary body."""
    k = d.rstrip().rfind(b">>")
    return d[:k] + extra + b" " + d[k:]


def append_revision(data, objs, root, size, info, idv, prev, *, comment=b"", eol=b"\n", prev_delta=0):
    """Append objs ({num: body}) as one incremental update with a classic xref section."""
    out = bytearray(data)
    if not out.endswith(b"\n"):
        out += b"\n"
    offs = {}
    for num in sorted(objs):
        offs[num] = len(out)
        out += b"%d 0 obj\n" % num + objs[num] + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n"
    nums = sorted(objs)
    # one subsection per run of consecutive numbers
    runs, start = [], nums[0]
    for a, b in zip(nums, nums[1:] + [None]):
        if b != a + 1:
            runs.append((start, a))
            start = b
    for s, e in runs:
        out += b"%d %d\n" % (s, e - s + 1)
        for n in range(s, e + 1):
            out += b"%010d 00000 n \n" % offs[n]
    out += b"trailer\n<< /Size %d /Root %d 0 R" % (size, root)
    if info:
        out += b" /Info %d 0 R" % info
    if idv:
        out += b" /ID " + idv
    out += b" /Prev %d >>\n" % (prev + prev_delta)
    out += comment
    out += b"startxref\n%d\n%%%%EOF" % xref + eol
    return bytes(out)


def prepare(data, field, *, kind="sig", sub=b"/ETSI.CAdES.detached", type_=b"/Sig", comment=b"", eol=b"\n",
            prev_delta=0):
    """Add a signature field and a signature dictionary with a /Contents hole; returns the new file
    bytes (ByteRange still a placeholder) and the hole offsets."""
    size, root, info, idv, prev = trailer_info(data)
    cat = last_obj(data, root)
    page = int(re.search(rb"/Kids\s*\[\s*(\d+)\s+0\s+R", last_obj(data, int(re.search(rb"/Pages\s+(\d+)", cat).group(1)))).group(1))
    pg = last_obj(data, page)
    s, w = size, size + 1
    filt = b"/Adobe.PPKLite"
    sig = (b"<< /Type " + type_ + b" /Filter " + filt + b" /SubFilter " + sub +
           b" /ByteRange [0 0000000000 0000000000 0000000000] /Contents <" + b"0" * (2 * HOLE) + b">" +
           (b" /M (D:20261201120000Z)" if kind == "sig" else b"") + b" >>")
    wid = (b"<< /Type /Annot /Subtype /Widget /FT /Sig /T (" + field.encode() + b") /V %d 0 R" % s +
           b" /Rect [0 0 0 0] /F 132 /P %d 0 R >>" % page)
    if b"/AcroForm" in cat:
        cat = re.sub(rb"/Fields\s*\[", b"/Fields [%d 0 R " % w, cat, count=1)
    else:
        cat = add_before_end(cat, b"/AcroForm << /Fields [%d 0 R] /SigFlags 3 >>" % w)
    if b"/Annots" in pg:
        pg = re.sub(rb"/Annots\s*\[", b"/Annots [%d 0 R " % w, pg, count=1)
    else:
        pg = add_before_end(pg, b"/Annots [%d 0 R]" % w)
    new = append_revision(data, {root: cat, page: pg, s: sig, w: wid}, root, size + 2, info, idv, prev,
                          comment=comment, eol=eol, prev_delta=prev_delta)
    start = new.rfind(b"/Contents <" + b"0" * 16) + len(b"/Contents ")
    return new, start, start + 2 + 2 * HOLE


def set_byterange(new, a, b):
    """Replace the placeholder ByteRange of the signature whose hole is [a, b)."""
    old = b"[0 0000000000 0000000000 0000000000]"
    k = new.rfind(b"/ByteRange " + old, 0, a)
    if k < 0:
        raise ValueError("no ByteRange placeholder")
    k += len(b"/ByteRange ")
    br = b"[0 %010d %010d %010d]" % (a, b, len(new) - b)
    return new[:k] + br + new[k + len(old):]


def fill(new, a, b, cms_der):
    """Write the CMS into the hole [a, b)."""
    hexs = cms_der.hex().encode()
    if len(hexs) > 2 * HOLE:
        raise ValueError("CMS larger than the hole")
    return new[:a + 1] + hexs + b"0" * (2 * HOLE - len(hexs)) + new[b - 1:]


def signed_bytes(new, a, b):
    return new[:a] + new[b:]


def openssl_cms(content, signers, md="sha256", stream=True):
    fin = os.path.join(TMP, "content.bin")
    fout = os.path.join(TMP, "sig.der")
    open(fin, "wb").write(content)
    cmd = ["openssl", "cms", "-sign", "-binary", "-in", fin, "-outform", "DER", "-out", fout, "-md", md]
    if stream:
        cmd.append("-stream")
    roots = set()
    for k in signers:
        cmd += ["-signer", os.path.join(PKI, k + ".pem"), "-inkey", os.path.join(PKI, k + ".key")]
        roots.add(root_of(k))
    chain = os.path.join(TMP, "chain.pem")
    open(chain, "wb").write(b"".join(open(os.path.join(PKI, "roots", r + ".pem"), "rb").read() for r in sorted(roots)))
    cmd += ["-certfile", chain]
    subprocess.run(cmd, check=True)
    der = open(fout, "rb").read()
    # with -stream, openssl writes BER with indefinite lengths but embeds the content; cut the
    # eContent out (only indefinite-length ancestors enclose it, so no length changes)
    return detach_ber(der) if stream else der


def ber_header(buf, off):
    """(header length, content length or None for indefinite) of the TLV at off."""
    k = off + 1
    if buf[off] & 0x1F == 0x1F:
        while buf[k] & 0x80:
            k += 1
        k += 1
    first = buf[k]
    k += 1
    if first == 0x80:
        return k - off, None
    if first < 0x80:
        return k - off, first
    n = first & 0x7F
    return k - off + n, int.from_bytes(buf[k:k + n], "big")


def ber_end(buf, off):
    """Offset just past the BER element at off (definite or indefinite length)."""
    hl, ln = ber_header(buf, off)
    if ln is not None:
        return off + hl + ln
    k = off + hl
    while buf[k:k + 2] != b"\x00\x00":
        k = ber_end(buf, k)
    return k + 2


def detach_ber(der):
    """Remove eContent from a BER SignedData whose outer lengths are indefinite."""
    # ContentInfo SEQUENCE, contentType OID, [0], SignedData SEQUENCE: version, digestAlgorithms,
    # encapContentInfo SEQUENCE { eContentType, [0] eContent }
    k = ber_header(der, 0)[0]
    k = ber_end(der, k)                      # contentType
    k += ber_header(der, k)[0]               # [0]
    sd_hl, sd_len = ber_header(der, k)
    k += sd_hl                               # into SignedData
    k = ber_end(der, k)                      # version
    k = ber_end(der, k)                      # digestAlgorithms
    eci_hl, eci_len = ber_header(der, k)
    if eci_len is not None or sd_len is not None:
        raise ValueError("expected indefinite lengths around encapContentInfo")
    j = k + eci_hl
    j = ber_end(der, j)                      # eContentType
    if der[j] != 0xA0:
        return der                           # already detached
    return der[:j] + der[ber_end(der, j):]


TS_CNF = """
[ tsa ]
default_tsa = tsa1
[ tsa1 ]
serial = {dir}/tsaserial
crypto_device = builtin
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256, sha384, sha512
accuracy = secs:1, millisecs:1
clock_precision_digits = 3
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


def openssl_ts_token(digest_hex):
    """A timestamp token (DER ContentInfo) over a SHA-256 digest, genTime with milliseconds."""
    cnf = os.path.join(TMP, "ts.cnf")
    open(cnf, "w").write(TS_CNF.format(dir=TMP))
    if not os.path.exists(os.path.join(TMP, "tsaserial")):
        open(os.path.join(TMP, "tsaserial"), "w").write("01\n")
    q, r = os.path.join(TMP, "req.tsq"), os.path.join(TMP, "tok.der")
    subprocess.run(["openssl", "ts", "-query", "-digest", digest_hex, "-sha256", "-cert", "-out", q], check=True,
                   capture_output=True)
    subprocess.run(["openssl", "ts", "-reply", "-config", cnf, "-queryfile", q, "-signer", os.path.join(PKI, "tsa.pem"),
                    "-inkey", os.path.join(PKI, "tsa.key"), "-chain", os.path.join(PKI, "roots", "rsa2048.pem"),
                    "-token_out", "-out", r], check=True, capture_output=True)
    return open(r, "rb").read()


def base():
    return open(os.path.join(world.OUT, "base", "plain.pdf"), "rb").read()


def sign_with(data, field, make_cms, **kw):
    new, a, b = prepare(data, field, **kw)
    new = set_byterange(new, a, b)  # first: it is inside the signed bytes
    return fill(new, a, b, make_cms(signed_bytes(new, a, b)))


def write(name, data, variant, how, sigs, tamper=True):
    p = out_path(P, name)
    open(p, "wb").write(data)
    record(P, p, variant, how, sigs, tamper=tamper)


def ber(key, md):
    return lambda content: openssl_cms(content, [key], md=md)


def add_sig_timestamp(cms_der):
    """Add an id-aa-signatureTimeStampToken unsigned attribute to the first SignerInfo."""
    from asn1crypto import cms, tsp  # noqa: F401  (tsp registers the TSTInfo content type)
    ci = cms.ContentInfo.load(cms_der)
    si = ci["content"]["signer_infos"][0]
    tok = openssl_ts_token(hashlib.sha256(si["signature"].native).hexdigest())
    si["unsigned_attrs"] = cms.CMSAttributes([cms.CMSAttribute({
        "type": "signature_time_stamp_token", "values": [cms.ContentInfo.load(tok)]})])
    return ci.dump()


def ocsp_response(key="rsa2048"):
    """A "good" OCSP response for the key's certificate, signed by its root (openssl ocsp)."""
    root = root_of(key)
    serial = subprocess.run(["openssl", "x509", "-in", os.path.join(PKI, key + ".pem"), "-noout", "-serial"],
                            check=True, capture_output=True, text=True).stdout.strip().split("=")[1]
    subj = subprocess.run(["openssl", "x509", "-in", os.path.join(PKI, key + ".pem"), "-noout", "-subject", "-nameopt",
                           "compat"], check=True, capture_output=True, text=True).stdout.strip().split("=", 1)[1]
    idx = os.path.join(TMP, "ocsp-index.txt")
    open(idx, "w").write(f"V\t351201000000Z\t\t{serial}\tunknown\t{subj}\n")
    out = os.path.join(TMP, "ocsp.der")
    rootpem = os.path.join(PKI, "roots", root + ".pem")
    subprocess.run(["openssl", "ocsp", "-index", idx, "-CA", rootpem, "-rsigner", rootpem, "-rkey",
                    os.path.join(PKI, "root-" + root + ".key"), "-issuer", rootpem, "-cert", os.path.join(PKI, key + ".pem"),
                    "-respout", out, "-ndays", "30"], check=True, capture_output=True)
    return open(out, "rb").read()


def with_ocsp_in_crls(cms_der):
    """Put an OCSP response into SignedData.crls as OtherRevocationInfoFormat id-ri-ocsp-response
    (RFC 5940), where Adobe writes it; crls is outside the signed attributes."""
    from asn1crypto import cms, ocsp
    ci = cms.ContentInfo.load(cms_der)
    ci["content"]["crls"] = cms.RevocationInfoChoices([cms.RevocationInfoChoice(
        name="other", value=cms.OtherRevocationInfoFormat({
            "other_rev_info_format": "ocsp_response", "other_rev_info": ocsp.OCSPResponse.load(ocsp_response())}))])
    return ci.dump()


def unsorted_cms(content, key="rsa2048"):
    """A CMS SignedData with signed attributes messageDigest, contentType, signingTime, in that
    order (DER would sort contentType first), signed over those bytes as written."""
    from asn1crypto import algos, cms, x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding
    cert = x509.Certificate.load(subprocess.run(["openssl", "x509", "-in", os.path.join(PKI, key + ".pem"), "-outform",
                                                 "DER"], check=True, capture_output=True).stdout)
    rootc = x509.Certificate.load(subprocess.run(["openssl", "x509", "-in", os.path.join(PKI, "roots", root_of(key) + ".pem"),
                                                  "-outform", "DER"], check=True, capture_output=True).stdout)
    pk = serialization.load_pem_private_key(open(os.path.join(PKI, key + ".key"), "rb").read(), None)
    attrs = [
        cms.CMSAttribute({"type": "message_digest", "values": [hashlib.sha256(content).digest()]}),
        cms.CMSAttribute({"type": "content_type", "values": ["data"]}),
        cms.CMSAttribute({"type": "signing_time", "values": [cms.Time({"utc_time": datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)})]}),
    ]
    # written one by one, so no encoder gets the chance to sort them
    body = b"".join(a.dump() for a in attrs)
    set_der = b"\x31" + _der_len(len(body)) + body
    sig = pk.sign(set_der, padding.PKCS1v15(), hashes.SHA256())
    signed_attrs = cms.CMSAttributes.load(set_der)
    si = cms.SignerInfo({
        "version": "v1",
        "sid": cms.SignerIdentifier({"issuer_and_serial_number": cms.IssuerAndSerialNumber({
            "issuer": cert.issuer, "serial_number": cert.serial_number})}),
        "digest_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
        "signed_attrs": signed_attrs,
        "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": "rsassa_pkcs1v15"}),
        "signature": sig,
    })
    sd = cms.SignedData({
        "version": "v1",
        "digest_algorithms": [algos.DigestAlgorithm({"algorithm": "sha256"})],
        "encap_content_info": {"content_type": "data"},
        "certificates": [cert, rootc],
        "signer_infos": [si],
    })
    der = cms.ContentInfo({"content_type": "signed_data", "content": sd}).dump()
    if body not in der:
        raise ValueError("the encoder reordered the signed attributes")
    return der


def _der_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def doc_timestamp(data, field, type_):
    new, a, b = prepare(data, field, kind="ts", sub=b"/ETSI.RFC3161", type_=type_)
    new = set_byterange(new, a, b)
    tok = openssl_ts_token(hashlib.sha256(signed_bytes(new, a, b)).hexdigest())
    return fill(new, a, b, tok)


def main():
    R = ("RSA-2048/SHA-256", "valid", "rsa2048")
    data = sign_with(base(), "Sig1", ber("rsa2048", "sha256"))
    write("ber-rsa2048.pdf", data, "BER-indefinite",
          "our writer + openssl cms -sign -stream -binary -outform DER (BER, indefinite lengths), RSA-2048, SHA-256", [R])
    write("ber-p384.pdf", sign_with(base(), "Sig1", ber("p384", "sha384")), "BER-indefinite",
          "our writer + openssl cms -sign -stream -binary -outform DER, P-384 key, SHA-384",
          [("ECDSA-P384/SHA-384", "valid", "p384")])
    write("der-rsa2048.pdf", sign_with(base(), "Sig1", lambda c: openssl_cms(c, ["rsa2048"], stream=False)), "DER",
          "our writer + openssl cms -sign -binary -outform DER (definite lengths), RSA-2048, SHA-256", [R])

    first = sign_with(base(), "Sig1", ber("rsa2048", "sha256"), comment=b"%iText-Core-7.2.5\n")
    write("itext-comment.pdf", sign_with(first, "Sig2", ber("rsa2048b", "sha256")), "comment-before-startxref",
          "our writer: revision 2 signed (openssl cms, BER) with '%iText-Core-7.2.5' between trailer and startxref; "
          "revision 3 signed by a second signer", [R, ("RSA-2048/SHA-256", "valid", "rsa2048b")])

    write("no-eol-eof.pdf", sign_with(base(), "Sig1", ber("rsa2048", "sha256"), eol=b""), "no-EOL-after-EOF",
          "our writer + openssl cms (BER): the file ends with %%EOF and no end-of-line; the ByteRange ends there", [R])
    junk = sign_with(base(), "Sig1", ber("rsa2048", "sha256")) + b"\x00\x00 junk after the last %%EOF, no revision\n"
    write("trailing-junk.pdf", junk, "trailing-junk",
          "our writer + openssl cms (BER), then 42 bytes appended after the last %%EOF (the signature does not "
          "cover the file: expected invalid)", [("RSA-2048/SHA-256", "invalid", "rsa2048")], tamper=False)
    write("two-signerinfos.pdf", sign_with(base(), "Sig1", lambda c: openssl_cms(c, ["rsa2048", "rsa2048b"])),
          "two-SignerInfos", "our writer + openssl cms -sign -stream with two -signer (one CMS, two SignerInfos, RSA-2048)",
          [R])

    write("ts-fraction-sigts.pdf",
          sign_with(base(), "Sig1", lambda c: add_sig_timestamp(openssl_cms(c, ["rsa2048"], stream=False))),
          "signature-timestamp-fractional",
          "our writer + openssl cms, then a signature timestamp token from openssl ts -reply with "
          "clock_precision_digits=3 (genTime has milliseconds), added as unsigned attribute (asn1crypto)", [R])
    signed = sign_with(base(), "Sig1", ber("rsa2048", "sha256"))
    write("ts-fraction-docts.pdf", doc_timestamp(signed, "DocTS", b"/DocTimeStamp"), "doc-timestamp-fractional",
          "our writer + openssl cms (BER) signature, then a /DocTimeStamp /ETSI.RFC3161 whose token comes from "
          "openssl ts -reply with clock_precision_digits=3", [R, ("RSA-2048/SHA-256", "valid", "tsa")])
    write("docts-type-sig.pdf", doc_timestamp(signed, "DocTS", b"/Sig"), "doc-timestamp-type-Sig",
          "as ts-fraction-docts.pdf, but the timestamp's dictionary says /Type /Sig (SubFilter /ETSI.RFC3161)",
          [R, ("RSA-2048/SHA-256", "valid", "tsa")])
    write("ocsp-in-crls.pdf", sign_with(base(), "Sig1", lambda c: with_ocsp_in_crls(openssl_cms(c, ["rsa2048"], stream=False))),
          "OCSP-in-CMS-crls",
          "our writer + openssl cms (DER), then a 'good' OCSP response (openssl ocsp, signed by the root) added to "
          "SignedData.crls as OtherRevocationInfoFormat id-ri-ocsp-response (asn1crypto)", [R])
    first = sign_with(base(), "Sig1", ber("rsa2048", "sha256"))
    write("prev-off.pdf", sign_with(first, "Sig2", ber("rsa2048b", "sha256"), prev_delta=7), "broken-Prev",
          "our writer + openssl cms (BER): two signed revisions; the second trailer's /Prev points 7 bytes past "
          "the first revision's xref (a broken /Prev chain that readers recover by scanning)",
          [R, ("RSA-2048/SHA-256", "valid", "rsa2048b")])
    write("unsorted-attrs.pdf", sign_with(base(), "Sig1", unsorted_cms), "unsorted-signed-attributes",
          "our writer + a CMS built with asn1crypto/cryptography whose signed attributes are messageDigest, "
          "contentType, signingTime (not DER order), signed over the bytes as written", [R])


if __name__ == "__main__":
    main()
