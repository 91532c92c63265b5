// PdfboxSign - the PDFBox producer: signs a PDF with Apache PDFBox 2.0 (Debian libpdfbox2-java) and
// a CMS made by BouncyCastle (libbcpkix-java), as PDFBox's own CreateSignature example does.
// Usage: java -cp <pdfbox+bc jars>:<classes> PdfboxSign IN.pdf OUT.pdf KEY.pem CERT.pem ROOT.pem JCA-ALG SUBFILTER
//   JCA-ALG: SHA256withRSA, SHA384withECDSA, SHA1withRSA, ...
//   SUBFILTER: adbe.pkcs7.detached | ETSI.CAdES.detached | adbe.pkcs7.sha1 (the CMS then signs,
//   encapsulated, the SHA-1 digest of the byte ranges: the legacy form)
import java.io.*;
import java.security.*;
import java.security.cert.X509Certificate;
import java.util.*;
import org.apache.pdfbox.cos.COSName;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.interactive.digitalsignature.*;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cms.*;
import org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;

public class PdfboxSign {
    static Object readPem(String path) throws Exception {
        try (PEMParser p = new PEMParser(new FileReader(path))) { return p.readObject(); }
    }

    public static void main(String[] a) throws Exception {
        if (a.length != 7) {
            System.err.println("usage: PdfboxSign IN OUT KEY CERT ROOT JCA-ALG SUBFILTER");
            System.exit(2);
        }
        Security.addProvider(new BouncyCastleProvider());
        PrivateKey key = new JcaPEMKeyConverter().setProvider("BC").getPrivateKey((PrivateKeyInfo) readPem(a[2]));
        JcaX509CertificateConverter conv = new JcaX509CertificateConverter().setProvider("BC");
        X509Certificate cert = conv.getCertificate((X509CertificateHolder) readPem(a[3]));
        X509Certificate root = conv.getCertificate((X509CertificateHolder) readPem(a[4]));
        String alg = a[5], sub = a[6];
        boolean sha1Legacy = sub.equals("adbe.pkcs7.sha1");

        SignatureInterface signer = content -> {
            try {
                byte[] data = content.readAllBytes();
                CMSSignedDataGenerator gen = new CMSSignedDataGenerator();
                ContentSigner cs = new JcaContentSignerBuilder(alg).setProvider("BC").build(key);
                gen.addSignerInfoGenerator(new JcaSignerInfoGeneratorBuilder(
                        new JcaDigestCalculatorProviderBuilder().setProvider("BC").build()).build(cs, cert));
                gen.addCertificates(new JcaCertStore(List.of(cert, root)));
                if (sha1Legacy) {
                    byte[] d = MessageDigest.getInstance("SHA-1").digest(data);
                    return gen.generate(new CMSProcessableByteArray(d), true).getEncoded();
                }
                return gen.generate(new CMSProcessableByteArray(data), false).getEncoded();
            } catch (Exception e) {
                throw new IOException(e);
            }
        };
        try (PDDocument doc = PDDocument.load(new File(a[0]));
             FileOutputStream out = new FileOutputStream(a[1])) {
            PDSignature sig = new PDSignature();
            sig.setFilter(PDSignature.FILTER_ADOBE_PPKLITE);
            sig.setSubFilter(COSName.getPDFName(sub));
            sig.setName("World signer");
            sig.setReason("world corpus");
            sig.setSignDate(Calendar.getInstance(TimeZone.getTimeZone("UTC")));
            SignatureOptions opts = new SignatureOptions();
            opts.setPreferredSignatureSize(16384);
            doc.addSignature(sig, signer, opts);
            doc.saveIncremental(out);
            opts.close();
        }
    }
}
