-- eseal service schema, version 1 (sqlite). Times are Unix seconds; ids are text.
CREATE TABLE organizations (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    uscc TEXT,
    level TEXT NOT NULL,
    parent_id TEXT REFERENCES organizations(id),
    created_at BIGINT NOT NULL
);
CREATE TABLE departments (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    name TEXT NOT NULL,
    level TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE cas (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    parent_id TEXT REFERENCES cas(id),
    name TEXT NOT NULL,
    level TEXT NOT NULL,
    algorithm TEXT NOT NULL,
    certificate BLOB NOT NULL,
    key_pem TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE crl_state (
    ca_id TEXT PRIMARY KEY REFERENCES cas(id),
    next_number BIGINT NOT NULL,
    last_crl BLOB,
    issued_at BIGINT
);
CREATE TABLE certificates (
    id TEXT PRIMARY KEY,
    ca_id TEXT NOT NULL REFERENCES cas(id),
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    serial_hex TEXT NOT NULL,
    subject TEXT NOT NULL,
    kind TEXT NOT NULL,
    der BLOB NOT NULL,
    not_after BIGINT NOT NULL,
    status TEXT NOT NULL,
    revoked_at BIGINT,
    revocation_reason TEXT,
    created_at BIGINT NOT NULL,
    UNIQUE (ca_id, serial_hex)
);
CREATE TABLE seals (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    department_id TEXT REFERENCES departments(id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    certificate_id TEXT NOT NULL REFERENCES certificates(id),
    key_pem TEXT NOT NULL,
    image BLOB,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE documents (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    title TEXT NOT NULL,
    ordered BIGINT NOT NULL,
    version BIGINT NOT NULL,
    content BLOB NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE document_steps (
    document_id TEXT NOT NULL REFERENCES documents(id),
    step_no BIGINT NOT NULL,
    seal_id TEXT NOT NULL REFERENCES seals(id),
    field_name TEXT NOT NULL,
    status TEXT NOT NULL,
    sealing_id TEXT,
    sealed_at BIGINT,
    PRIMARY KEY (document_id, step_no)
);
CREATE TABLE sealings (
    id TEXT PRIMARY KEY,
    seal_id TEXT NOT NULL REFERENCES seals(id),
    organization_id TEXT NOT NULL,
    api_key_id TEXT NOT NULL,
    document_id TEXT,
    input_sha256 TEXT NOT NULL,
    output_sha256 TEXT NOT NULL,
    output_len BIGINT NOT NULL,
    log_index BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    key_hash TEXT NOT NULL UNIQUE,
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    department_id TEXT REFERENCES departments(id),
    role TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE TABLE settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
-- The audit log: one row per leaf of the Merkle tree; log_state's single row is the tree size
-- and the lock every append takes (UPDATE ... first), across processes.
CREATE TABLE log_state (
    id BIGINT PRIMARY KEY,
    tree_size BIGINT NOT NULL
);
INSERT INTO log_state (id, tree_size) VALUES (1, 0);
CREATE TABLE audit_log (
    idx BIGINT PRIMARY KEY,
    created_at BIGINT NOT NULL,
    organization_id TEXT,
    kind TEXT NOT NULL,
    entry TEXT NOT NULL,
    leaf_hash BLOB NOT NULL
);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE INDEX seals_org ON seals (organization_id);
CREATE INDEX sealings_seal ON sealings (seal_id);
CREATE INDEX certificates_ca ON certificates (ca_id);
