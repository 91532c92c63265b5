-- Where a seal's key lives: 'software' (key_pem: encrypted PKCS#8 under the master
-- passphrase) or 'pkcs11' (key_label: the label of the key in the configured PKCS#11 token;
-- key_pem is empty: the private key never leaves the token).
ALTER TABLE seals ADD COLUMN key_store TEXT NOT NULL DEFAULT 'software';
ALTER TABLE seals ADD COLUMN key_label TEXT;
