#!/usr/bin/env python3
"""pyHanko producer (the interop kit's venv, pyHanko 0.38): one PDF per algorithm and per
permission/structure case, signed through pyHanko's Python API with the corpus PKI.
Environment: WORLD_OUT, WORLD_PKI (set by make.sh). Timestamps come from pyHanko's in-process
DummyTimeStamper with the corpus TSA certificate (no network)."""
import os
import subprocess
import sys
import warnings

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
import world  # noqa: E402
from world import PKI, out_path, record, root_of  # noqa: E402

warnings.filterwarnings("ignore")
import logging  # noqa: E402

logging.disable(logging.CRITICAL)

from pyhanko.keys import load_cert_from_pemder, load_private_key_from_pemder  # noqa: E402
from pyhanko.pdf_utils import generic  # noqa: E402
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter  # noqa: E402
from pyhanko.sign import fields, signers  # noqa: E402
from pyhanko.sign.fields import MDPPerm, SigSeedSubFilter  # noqa: E402
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper  # noqa: E402
from pyhanko.sign.validation.dss import DocumentSecurityStore  # noqa: E402

P = "pyhanko"
BASE = os.path.join(world.OUT, "base")


def signer(name, pss=False):
    s = signers.SimpleSigner.load(os.path.join(PKI, name + ".key"), os.path.join(PKI, name + ".pem"),
                                  ca_chain_files=(os.path.join(PKI, "roots", root_of(name) + ".pem"),),
                                  key_passphrase=None)
    s.prefer_pss = pss
    return s


def tsa():
    return DummyTimeStamper(tsa_cert=load_cert_from_pemder(os.path.join(PKI, "tsa.pem")),
                            tsa_key=load_private_key_from_pemder(os.path.join(PKI, "tsa.key"), None),
                            certs_to_embed=[load_cert_from_pemder(os.path.join(PKI, "roots", "rsa2048.pem"))])


def open_writer(path, password=None):
    w = IncrementalPdfFileWriter(open(path, "rb"), strict=False)
    if w.prev.encrypted:
        w.encrypt(password or "")
    return w


def sign(inp, out, s, password=None, timestamper=None, **meta):
    meta.setdefault("subfilter", SigSeedSubFilter.PADES)
    w = open_writer(inp, password)
    with open(out, "wb") as f:
        signers.sign_pdf(w, signers.PdfSignatureMetadata(**meta), signer=s, output=f, timestamper=timestamper)


ALGOS = [  # file name, key, pss, digest, algorithm label, expected
    ("rsa2048-sha256", "rsa2048", False, "sha256", "RSA-2048/SHA-256", "valid"),
    ("rsa3072-sha384", "rsa3072", False, "sha384", "RSA-3072/SHA-384", "valid"),
    ("rsa4096-sha512", "rsa4096", False, "sha512", "RSA-4096/SHA-512", "valid"),
    ("rsapss2048-sha256", "rsa2048", True, "sha256", "RSASSA-PSS/SHA-256", "valid"),
    ("rsapss4096-sha512", "rsa4096", True, "sha512", "RSASSA-PSS/SHA-512", "valid"),
    ("p384-sha384", "p384", False, "sha384", "ECDSA-P384/SHA-384", "valid"),
    ("p521-sha512", "p521", False, "sha512", "ECDSA-P521/SHA-512", "valid"),
    ("ed25519", "ed25519", False, "sha512", "Ed25519", "valid"),
    # asn1crypto (under pyHanko) has no OID for RSA PKCS#1 v1.5 with SHA3; PSS and ECDSA carry it
    ("rsapss2048-sha3-256", "rsa2048", True, "sha3_256", "RSASSA-PSS/SHA3-256", "valid"),
    ("p384-sha3-384", "p384", False, "sha3_384", "ECDSA-P384/SHA3-384", "valid"),
    ("rsa1024-sha1", "rsa1024", False, "sha1", "RSA-1024/SHA-1", "weak"),
    ("rsa2048-sha1", "rsa2048", False, "sha1", "RSA-2048/SHA-1", "weak"),
]


def algorithms():
    for name, key, pss, md, label, exp in ALGOS:
        out = out_path(P, name + ".pdf")
        try:
            sign(os.path.join(BASE, "plain.pdf"), out, signer(key, pss), field_name="Sig1", md_algorithm=md)
        except Exception as e:  # noqa: BLE001 - a refusal is a finding, not a crash
            print(f"pyhanko: {name}: pyHanko refused: {type(e).__name__}: {str(e).splitlines()[0]}", file=sys.stderr)
            if os.path.exists(out):
                os.remove(out)
            continue
        record(P, out, "clean", f"pyHanko sign_pdf, PAdES, {key} key{' PSS' if pss else ''}, md={md}",
               [(label, exp, key)], tamper=True)


def with_timestamp():
    out = out_path(P, "rsa2048-sha256-bt.pdf")
    sign(os.path.join(BASE, "plain.pdf"), out, signer("rsa2048"), field_name="Sig1", md_algorithm="sha256",
         timestamper=tsa())
    record(P, out, "signature-timestamp", "pyHanko sign_pdf with a signature timestamp (DummyTimeStamper, corpus TSA)",
           [("RSA-2048/SHA-256", "valid", "rsa2048")], tamper=True)


def two_signers():
    a = out_path(P, "two-sigs.pdf")
    tmp = a + ".1"
    sign(os.path.join(BASE, "plain.pdf"), tmp, signer("rsa2048"), field_name="Sig1")
    sign(tmp, a, signer("p384"), field_name="Sig2", md_algorithm="sha384")
    os.remove(tmp)
    record(P, a, "two-signatures", "pyHanko: approval Sig1 (RSA-2048) then approval Sig2 (P-384) as incremental updates",
           [("RSA-2048/SHA-256", "valid", "rsa2048"), ("ECDSA-P384/SHA-384", "valid", "p384")], tamper=True)


def certified_p1_dss_doc_ts():
    out = out_path(P, "certified-p1-dss-docts.pdf")
    tmp = out + ".1"
    sign(os.path.join(BASE, "plain.pdf"), tmp, signer("rsa2048"), field_name="Cert", certify=True,
         docmdp_permissions=MDPPerm.NO_CHANGES)
    tmp2 = out + ".2"
    with open(tmp, "rb") as f:
        w = IncrementalPdfFileWriter(f)
        certs = [load_cert_from_pemder(os.path.join(PKI, "rsa2048.pem")),
                 load_cert_from_pemder(os.path.join(PKI, "roots", "rsa2048.pem"))]
        DocumentSecurityStore.supply_dss_in_writer(w, None, certs=certs)
        with open(tmp2, "wb") as g:
            w.write(g)
    with open(tmp2, "rb") as f:
        w = IncrementalPdfFileWriter(f)
        with open(out, "wb") as g:
            signers.PdfTimeStamper(tsa(), field_name="DocTS").timestamp_pdf(w, "sha256", validation_context=None,
                                                                            output=g)
    os.remove(tmp)
    os.remove(tmp2)
    record(P, out, "certified-P1+DSS+doc-timestamp",
           "pyHanko: certification signature DocMDP P=1, then a DSS update (certs), then a document timestamp",
           [("RSA-2048/SHA-256", "valid", "rsa2048"), ("RSA-2048/SHA-256", "valid", "tsa")])


def certified_p2_form_fill():
    out = out_path(P, "certified-p2-form-fill.pdf")
    tmp = out + ".1"
    sign(os.path.join(BASE, "form.pdf"), tmp, signer("rsa2048"), field_name="Cert", certify=True,
         docmdp_permissions=MDPPerm.FILL_FORMS)
    with open(tmp, "rb") as f:
        w = IncrementalPdfFileWriter(f)
        for ref in w.root["/AcroForm"]["/Fields"]:
            fld = ref.get_object()
            if fld.get("/T") == "Name":
                fld[generic.NameObject("/V")] = generic.TextStringObject("Jane Example")
                w.update_container(fld)
        with open(out, "wb") as g:
            w.write(g)
    os.remove(tmp)
    record(P, out, "certified-P2+form-fill",
           "pyHanko: certification P=2 on a page with a text field, then an incremental update setting the field's /V",
           [("RSA-2048/SHA-256", "valid", "rsa2048")])


def certified_p3_annotation():
    out = out_path(P, "certified-p3-text-annot.pdf")
    tmp = out + ".1"
    sign(os.path.join(BASE, "plain.pdf"), tmp, signer("rsa2048"), field_name="Cert", certify=True,
         docmdp_permissions=MDPPerm.ANNOTATE)
    with open(tmp, "rb") as f:
        w = IncrementalPdfFileWriter(f)
        page_ref = w.root["/Pages"]["/Kids"].raw_get(0)
        page = page_ref.get_object()
        annot = generic.DictionaryObject({
            generic.NameObject("/Type"): generic.NameObject("/Annot"),
            generic.NameObject("/Subtype"): generic.NameObject("/Text"),
            generic.NameObject("/Rect"): generic.ArrayObject([generic.NumberObject(x) for x in (100, 500, 120, 520)]),
            generic.NameObject("/Contents"): generic.TextStringObject("A reviewer's note"),
            generic.NameObject("/P"): page_ref})
        aref = w.add_object(annot)
        annots = page.get("/Annots")
        arr = generic.ArrayObject(list(annots) if annots else [])
        arr.append(aref)
        page[generic.NameObject("/Annots")] = arr
        w.update_container(page)
        with open(out, "wb") as g:
            w.write(g)
    os.remove(tmp)
    record(P, out, "certified-P3+text-annotation",
           "pyHanko: certification P=3, then an incremental update adding a /Text annotation to the page",
           [("RSA-2048/SHA-256", "valid", "rsa2048")])


def lock_p1_then_second():
    out = out_path(P, "lock-p1-then-second-sig.pdf")
    tmp = out + ".1"
    w = open_writer(os.path.join(BASE, "plain.pdf"))
    fields.append_signature_field(w, fields.SigFieldSpec(
        "Locked", field_mdp_spec=fields.FieldMDPSpec(fields.FieldMDPAction.ALL),
        doc_mdp_update_value=MDPPerm.NO_CHANGES))
    with open(tmp + "0", "wb") as g:
        w.write(g)
    sign(tmp + "0", tmp, signer("rsa2048"), field_name="Locked")
    sign(tmp, out, signer("rsa2048b"), field_name="Second")
    os.remove(tmp)
    os.remove(tmp + "0")
    record(P, out, "field-lock-P1+second-signature",
           "pyHanko: field Locked with /Lock {/Action /All /P 1} signed, then a second signature in a new field "
           "(the lock permits no change: the first signature must fail)",
           [("RSA-2048/SHA-256", "invalid", "rsa2048"), ("RSA-2048/SHA-256", "valid", "rsa2048b")])


def encrypted():
    for name, args, label in [
        ("rc4-128", ["--allow-weak-crypto", "--encrypt", "", "owner", "128", "--use-aes=n", "--"], "RC4-128"),
        ("aes-128", ["--encrypt", "", "owner", "128", "--use-aes=y", "--"], "AES-128"),
        ("aes-256", ["--encrypt", "", "owner", "256", "--"], "AES-256"),
    ]:
        enc = out_path(P, f"enc-{name}.unsigned")
        subprocess.run(["qpdf"] + args + [os.path.join(BASE, "plain.pdf"), enc], check=True)
        out = out_path(P, f"encrypted-{name}.pdf")
        try:
            sign(enc, out, signer("rsa2048"), password="", field_name="Sig1")
        except Exception as e:  # noqa: BLE001
            print(f"pyhanko: encrypted {name}: {type(e).__name__}: {e}", file=sys.stderr)
            continue
        finally:
            os.remove(enc)
        record(P, out, f"encrypted-{name}",
               f"qpdf --encrypt '' owner ({label}, empty user password), then pyHanko signs it (RSA-2048/SHA-256)",
               [("RSA-2048/SHA-256", "valid", "rsa2048")], tamper=True, password="")


def main():
    for step in (algorithms, with_timestamp, two_signers, certified_p1_dss_doc_ts, certified_p2_form_fill,
                 certified_p3_annotation, lock_p1_then_second, encrypted):
        try:
            step()
        except Exception as e:  # noqa: BLE001 - report and go on with the other cases
            print(f"pyhanko: {step.__name__} failed: {type(e).__name__}: {e}", file=sys.stderr)


if __name__ == "__main__":
    main()
