-- The TSA's serial number counter (RFC 3161 serialNumber): one row, advanced with
-- UPDATE ... RETURNING so that every process sharing the database gets a different value.
CREATE TABLE tsa_state (
    id BIGINT PRIMARY KEY,
    last_serial BIGINT NOT NULL
);
INSERT INTO tsa_state (id, last_serial) VALUES (1, 0);
