-- Who may speak for whom (issue 14).
--
-- Trust anchors: the roots /v1/verify and the public pages trust, managed by operators only.
-- A root an organisation made is never one of them unless an operator adds it. source: platform
-- (a root CA of this service), pem (imported certificate) or trusted-list (imported from an
-- ETSI TS 119 612 list). removed_at keeps the row of a withdrawn anchor for the record.
CREATE TABLE trust_anchors (
    id TEXT PRIMARY KEY,
    label TEXT NOT NULL,
    region TEXT NOT NULL,
    source TEXT NOT NULL,
    certificate BYTEA NOT NULL,
    sha256 TEXT NOT NULL,
    ca_id TEXT REFERENCES cas(id),
    created_at BIGINT NOT NULL,
    removed_at BIGINT
);
CREATE UNIQUE INDEX trust_anchors_active ON trust_anchors (sha256) WHERE removed_at IS NULL;
-- Relying parties: organisations registered by an operator to receive annotated copies. A name
-- names one relying party, so a holder granting "by name" can never reach another.
CREATE TABLE relying_parties (
    organization_id TEXT PRIMARY KEY REFERENCES organizations(id),
    name TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);
-- The subject of a seal certificate belongs to the first organisation that held it: no other
-- organisation may obtain a certificate with the same subject.
CREATE TABLE certificate_subjects (
    subject TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id)
);
-- Licence types are an organisation's own (usable by it and the organisations below it) or
-- platform-wide (NULL: published by an operator).
ALTER TABLE licence_types ADD COLUMN organization_id TEXT REFERENCES organizations(id);
-- Documents remember the department that created them, for department-scoped reads.
ALTER TABLE documents ADD COLUMN department_id TEXT REFERENCES departments(id);
-- Subjects already held by exactly one organisation are claimed by it; a subject two
-- organisations already share stays unclaimed until an operator resolves it (revocation).
INSERT INTO certificate_subjects (subject, organization_id)
    SELECT subject, MIN(organization_id) FROM certificates
    GROUP BY subject HAVING COUNT(DISTINCT organization_id) = 1;
-- Serials are random now (public identifiers must not be enumerable by counting).
DROP TABLE licence_serials;
