-- Licences (issue 7): the catalogue of licence types, issued licences and their sealed
-- versions, holder grants and annotated copies, presentation codes and batch jobs (sqlite).
CREATE TABLE licence_types (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    -- GB/T 36904 type code: the defining authority's USCC and 3 digits (21 characters).
    type_code TEXT NOT NULL,
    authority_name TEXT NOT NULL,
    authority_code TEXT NOT NULL,
    template TEXT NOT NULL,
    -- JSON array of the metadata field names the template shows.
    metadata_fields TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
-- Serial numbers per issuer and type, handed out under the row lock of an UPDATE.
CREATE TABLE licence_serials (
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    type_code TEXT NOT NULL,
    last_serial BIGINT NOT NULL,
    PRIMARY KEY (organization_id, type_code)
);
-- One licence; its versions live in licence_files. status: active or cancelled.
CREATE TABLE licences (
    id TEXT PRIMARY KEY,
    type TEXT NOT NULL REFERENCES licence_types(code),
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    serial TEXT NOT NULL,
    identifier TEXT NOT NULL UNIQUE,
    holder_name TEXT NOT NULL,
    holder_code TEXT NOT NULL,
    fields TEXT NOT NULL,
    status TEXT NOT NULL,
    version BIGINT NOT NULL,
    holder_token_hash TEXT NOT NULL UNIQUE,
    cancelled_at BIGINT,
    cancel_reason TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- Every sealed version. status: current, superseded (changed), corrected, replaced or
-- cancelled; supersedes names the version it replaced.
CREATE TABLE licence_files (
    licence_id TEXT NOT NULL REFERENCES licences(id),
    version BIGINT NOT NULL,
    identifier TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    supersedes BIGINT,
    fields TEXT NOT NULL,
    holder_name TEXT NOT NULL,
    holder_code TEXT NOT NULL,
    -- base64url SHA-256 of the issuer-sealed prefix (what the QR code's d= carries).
    sealed_digest TEXT NOT NULL,
    file_sha256 TEXT NOT NULL,
    content BLOB NOT NULL,
    reason TEXT,
    created_at BIGINT NOT NULL,
    status_changed_at BIGINT,
    PRIMARY KEY (licence_id, version)
);
CREATE INDEX licence_files_digest ON licence_files (sealed_digest);
-- status: active or withdrawn (expiry is read from until_at).
CREATE TABLE licence_grants (
    id TEXT PRIMARY KEY,
    licence_id TEXT NOT NULL REFERENCES licences(id),
    agency_id TEXT NOT NULL REFERENCES organizations(id),
    matter TEXT NOT NULL,
    until_at BIGINT NOT NULL,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    withdrawn_at BIGINT
);
CREATE INDEX licence_grants_licence ON licence_grants (licence_id);
CREATE TABLE licence_copies (
    id TEXT PRIMARY KEY,
    grant_id TEXT NOT NULL REFERENCES licence_grants(id),
    licence_id TEXT NOT NULL REFERENCES licences(id),
    version BIGINT NOT NULL,
    copy_number BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    file_sha256 TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (licence_id, copy_number)
);
CREATE TABLE licence_presentations (
    code_hash TEXT PRIMARY KEY,
    licence_id TEXT NOT NULL REFERENCES licences(id),
    expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
-- status: running, done. errors: JSON array of {line, error}; results: JSON array.
CREATE TABLE licence_batches (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    status TEXT NOT NULL,
    total BIGINT NOT NULL,
    done BIGINT NOT NULL,
    failed BIGINT NOT NULL,
    errors TEXT NOT NULL,
    results TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
