// sign.js IN.pdf KEY.p12 OUT.pdf [SUBFILTER]: sign IN with @signpdf (placeholder-plain + signer-p12,
// node-forge underneath; RSA with SHA-256 only) and write OUT. Called by run.sh.
'use strict';
const fs = require('fs');
const { SignPdf } = require('@signpdf/signpdf');
const { P12Signer } = require('@signpdf/signer-p12');
const { plainAddPlaceholder } = require('@signpdf/placeholder-plain');
const utils = require('@signpdf/utils');

async function main() {
  const [inp, p12, out, sub] = process.argv.slice(2);
  const pdf = plainAddPlaceholder({
    pdfBuffer: fs.readFileSync(inp),
    reason: 'world corpus',
    contactInfo: 'world@example.org',
    name: 'World signer',
    location: 'Lab',
    subFilter: sub === 'cades' ? utils.SUBFILTER_ETSI_CADES_DETACHED : utils.SUBFILTER_ADOBE_PKCS7_DETACHED,
  });
  const signer = new P12Signer(fs.readFileSync(p12), { passphrase: 'test' });
  const signed = await new SignPdf().sign(pdf, signer);
  fs.writeFileSync(out, signed);
}
main().catch((e) => { console.error(e && e.stack ? e.stack : e); process.exit(1); });
