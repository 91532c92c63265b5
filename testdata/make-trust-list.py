#!/usr/bin/env python3
"""Write an ETSI TS 119 612 trusted list (TrustServiceStatusList) and sign it with xmlsec1.

The tests of eseal's trusted-list reader run this script so that the lists they read are
signed by an independent XMLDSig implementation (xmlsec1, Debian package `xmlsec1`), not by
eseal itself. Only the Python standard library is used; the signing is xmlsec1's.

    make-trust-list.py --out LIST.xml --signer-key KEY.pem --signer-cert CERT.pem \\
        --territory FJ --operator "Fujian Trust List Operator" \\
        --service 'CA/QC|granted|Fujian Province CA|Fujian Root CA|root.pem' ...

--service is repeatable: service type (tail of .../Svctype/), status (tail of
.../TrustedList/Svcstatus/, or 'old:' + tail of the TS 102 231 .../Svcstatus/), TSP name,
service name and a PEM certificate file. Services of one TSP name are grouped under it.

--new-signer rsa|ec makes a fresh signer key and self-signed certificate at --signer-key and
--signer-cert (with openssl) before signing. --c14n picks the canonicalization of SignedInfo
and of the reference: exc (exclusive, the usual choice of trusted lists) or inc (C14N 1.0).
--reference id signs the root by its Id ("#tsl") instead of URI ""; --reference scheme signs
only SchemeInformation ("#scheme"), which a reader must refuse. --unsigned writes the list
without a signature. --next-update sets NextUpdate (RFC 3339, or 'none' for a closed list).

--style varied writes the same list as other producers might: the TSL namespace as the default
namespace outside the providers and as the tsl: prefix inside them, comments and processing
instructions inside and around the root, CR LF line ends, character references, CDATA,
xml:lang and a foreign extension element with attributes in several namespaces. xmlsec1 writes
the signed list out again in its own form; the varied style then rewrites that output into
equivalent XML (CR LF line ends, character references, other quotes and spacing in tags). The
signature verifies only if parsing and canonicalization get every one of those right.
"""
import argparse
import base64
import datetime
import os
import subprocess
import sys
import tempfile
from xml.sax.saxutils import escape

TSL_NS = "http://uri.etsi.org/02231/v2#"
DS_NS = "http://www.w3.org/2000/09/xmldsig#"
SVCTYPE = "http://uri.etsi.org/TrstSvc/Svctype/"
STATUS_NEW = "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/"
STATUS_OLD = "http://uri.etsi.org/TrstSvc/Svcstatus/"
C14N = {
    "exc": "http://www.w3.org/2001/10/xml-exc-c14n#",
    "inc": "http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
}
# A foreign extension in SchemeInformation, written only in the varied style.
EXTENSION = (
    '<ext:Note xmlns:ext="urn:example:ext" xmlns:b="urn:example:b" ext:z="1" b:a="2" '
    "a=\"tab&#9;nl&#10;cr&#13;\" c='q\"&lt;&gt;'>"
    "text &lt;&amp;&gt; &#x4E2D;&#25991; cr&#13;<![CDATA[<cdata> & ]]><!-- inside -->"
    '<ext:Inner xml:lang="zh"/></ext:Note>'
)


def pem_to_base64(path):
    with open(path, encoding="ascii") as f:
        lines = [l.strip() for l in f if l.strip() and not l.startswith("-----")]
    der = base64.b64decode("".join(lines))
    return base64.b64encode(der).decode("ascii")


class Writer:
    """Element names with the prefix of the current style: `p` outside providers, `q`
    inside them."""

    def __init__(self, varied, scheme_id=False):
        self.varied = varied
        self.scheme_id = ' Id="scheme"' if scheme_id else ""
        self.p = "" if varied else "tsl:"
        self.q = "tsl:"

    def name(self, pre, tag, text, lang="en"):
        return f'<{pre}{tag}><{pre}Name xml:lang="{lang}">{escape(text)}</{pre}Name></{pre}{tag}>'

    def service(self, svc_type, status, svc_name, cert_path):
        q = self.q
        status_uri = STATUS_OLD + status[4:] if status.startswith("old:") else STATUS_NEW + status
        return (
            f"<{q}TSPService><{q}ServiceInformation>"
            f"<{q}ServiceTypeIdentifier>{escape(SVCTYPE + svc_type)}</{q}ServiceTypeIdentifier>"
            f"{self.name(q, 'ServiceName', svc_name)}"
            f"<{q}ServiceDigitalIdentity><{q}DigitalId>"
            f"<{q}X509Certificate>{pem_to_base64(cert_path)}</{q}X509Certificate>"
            f"</{q}DigitalId></{q}ServiceDigitalIdentity>"
            f"<{q}ServiceStatus>{escape(status_uri)}</{q}ServiceStatus>"
            f"<{q}StatusStartingTime>2026-01-01T00:00:00Z</{q}StatusStartingTime>"
            f"</{q}ServiceInformation></{q}TSPService>"
        )

    def provider(self, tsp, services):
        q = self.q
        declare = f' xmlns:tsl="{TSL_NS}"' if self.varied else ""
        return (
            f"<{q}TrustServiceProvider{declare}><{q}TSPInformation>"
            f"{self.name(q, 'TSPName', tsp)}</{q}TSPInformation>"
            f"<{q}TSPServices>{''.join(services)}</{q}TSPServices></{q}TrustServiceProvider>\n"
        )

    def document(self, a, providers, signature):
        p = self.p
        eol = "\r\n" if self.varied else ""
        next_update = (
            f"<{p}NextUpdate/>"
            if a.next_update == "none"
            else f"<{p}NextUpdate><{p}dateTime>{a.next_update}</{p}dateTime></{p}NextUpdate>"
        )
        root_ns = (
            f'xmlns="{TSL_NS}" xmlns:unused="urn:example:unused"'
            if self.varied else f'xmlns:tsl="{TSL_NS}"'
        )
        before = "<!-- made by make-trust-list.py -->\n<?pi-before  some data ?>\n" if self.varied else ""
        after = "<?pi-after?>\n<!-- after -->\n" if self.varied else ""
        operator = (
            self.name(p, "SchemeOperatorName", a.operator, "zh")
            if self.varied else self.name(p, "SchemeOperatorName", a.operator)
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n' + before +
            f'<{p}TrustServiceStatusList {root_ns} xmlns:ds="{DS_NS}" '
            'Id="tsl" TSLTag="http://uri.etsi.org/19612/TSLTag">\n'
            + ("<!-- scheme -->" + eol if self.varied else "")
            + f"<{p}SchemeInformation{self.scheme_id}>{eol}"
            f"<{p}TSLVersionIdentifier>5</{p}TSLVersionIdentifier>{eol}"
            f"<{p}TSLSequenceNumber>{a.sequence}</{p}TSLSequenceNumber>"
            f"<{p}TSLType>http://uri.etsi.org/TrstSvc/TrustedList/TSLType/CNgeneric</{p}TSLType>"
            f"{operator}"
            f"<{p}SchemeTerritory>{escape(a.territory)}</{p}SchemeTerritory>"
            f"<{p}ListIssueDateTime>{a.issued}</{p}ListIssueDateTime>"
            f"{next_update}"
            + (EXTENSION if self.varied else "")
            + f"</{p}SchemeInformation>\n"
            f"<{p}TrustServiceProviderList>\n{providers}</{p}TrustServiceProviderList>\n"
            f"{signature}"
            f"</{p}TrustServiceStatusList>\n" + after
        )


def list_xml(a, signature):
    w = Writer(a.style == "varied", a.reference == "scheme")
    grouped = {}
    for spec in a.service:
        parts = spec.split("|")
        if len(parts) != 5:
            sys.exit(f"--service needs TYPE|STATUS|TSP|SERVICE|CERT.pem, got {spec!r}")
        svc_type, status, tsp, svc_name, cert = parts
        grouped.setdefault(tsp, []).append(w.service(svc_type, status, svc_name, cert))
    providers = "".join(w.provider(tsp, services) for tsp, services in grouped.items())
    return w.document(a, providers, signature)


def signature_template(c14n, key_kind, reference):
    method = (
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
        if key_kind == "rsa"
        else "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
    )
    uri = {"id": "#tsl", "scheme": "#scheme"}.get(reference, "")
    return (
        '<ds:Signature Id="tsl-signature">'
        "<ds:SignedInfo>"
        f'<ds:CanonicalizationMethod Algorithm="{C14N[c14n]}"/>'
        f'<ds:SignatureMethod Algorithm="{method}"/>'
        f'<ds:Reference URI="{uri}">'
        "<ds:Transforms>"
        '<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>'
        f'<ds:Transform Algorithm="{C14N[c14n]}"/>'
        "</ds:Transforms>"
        '<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>'
        "<ds:DigestValue/>"
        "</ds:Reference>"
        "</ds:SignedInfo>"
        "<ds:SignatureValue/>"
        "<ds:KeyInfo><ds:X509Data/></ds:KeyInfo>"
        "</ds:Signature>\n"
    )


def new_signer(kind, key, cert):
    algo = ["-newkey", "rsa:2048"] if kind == "rsa" else [
        "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]
    subprocess.run(
        ["openssl", "req", "-x509", "-nodes", *algo, "-keyout", key, "-out", cert,
         "-days", "30", "-subj", "/C=CN/O=Trust List Operator/CN=Trust List Signer"],
        check=True, capture_output=True)


def key_kind(cert):
    out = subprocess.run(["openssl", "x509", "-in", cert, "-noout", "-text"],
                         check=True, capture_output=True, text=True).stdout
    return "rsa" if "rsaEncryption" in out else "ec"


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", required=True)
    p.add_argument("--signer-key", required=True)
    p.add_argument("--signer-cert", required=True)
    p.add_argument("--new-signer", choices=["rsa", "ec"])
    p.add_argument("--territory", default="FJ")
    p.add_argument("--operator", default="Trust List Operator")
    p.add_argument("--sequence", default="1")
    p.add_argument("--issued", default=None, help="RFC 3339; default: now")
    p.add_argument("--next-update", default="2099-01-01T00:00:00Z")
    p.add_argument("--c14n", choices=sorted(C14N), default="exc")
    p.add_argument("--reference", choices=["empty", "id", "scheme"], default="empty")
    p.add_argument("--style", choices=["plain", "varied"], default="plain")
    p.add_argument("--unsigned", action="store_true")
    p.add_argument("--service", action="append", default=[])
    a = p.parse_args()
    if a.new_signer:
        new_signer(a.new_signer, a.signer_key, a.signer_cert)
    if a.issued is None:
        # After the signer is made: its certificate is valid from the second it was made.
        a.issued = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    if a.unsigned:
        with open(a.out, "w", encoding="utf-8", newline="") as f:
            f.write(list_xml(a, ""))
        return
    template = list_xml(a, signature_template(a.c14n, key_kind(a.signer_cert), a.reference))
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "template.xml")
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(template)
        id_attr = {
            "id": ["--id-attr:Id", f"{TSL_NS}:TrustServiceStatusList"],
            "scheme": ["--id-attr:Id", f"{TSL_NS}:SchemeInformation"],
        }.get(a.reference, [])
        r = subprocess.run(
            ["xmlsec1", "--sign", *id_attr, "--privkey-pem", f"{a.signer_key},{a.signer_cert}",
             "--output", a.out, path],
            capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"xmlsec1 --sign failed: {r.stderr.strip()}")
    if a.style == "varied":
        with open(a.out, encoding="utf-8", newline="") as f:
            signed = f.read()
        with open(a.out, "w", encoding="utf-8", newline="") as f:
            f.write(equivalent_form(signed))


def equivalent_form(xml):
    """The same XML infoset written differently, so a parser must normalize it back."""
    for old, new in [
        ("\u4e2d\u6587", "&#x4E2D;&#25991;"),
        ('c="q&quot;&lt;&gt;"', "c='q\"&lt;&gt;'"),
        ('<ext:Inner xml:lang="zh"/>', '<ext:Inner  xml:lang = "zh"\t/>'),
        ("</SchemeInformation>", "</SchemeInformation >"),
    ]:
        if old not in xml:
            sys.exit(f"cannot vary the signed list: {old!r} not found")
        xml = xml.replace(old, new, 1)
    return xml.replace("\n", "\r\n")


if __name__ == "__main__":
    main()
