-- +goose Up
-- Natural persons and organizations that cases concern. Document and phone
-- numbers are stored only encrypted (*_enc) and as keyed hashes (*_hash)
-- for exact lookup; nothing of them is kept in clear, not even a mask.
CREATE TABLE persons (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES orgs(id),
    kind        TEXT NOT NULL CHECK (kind IN ('natural', 'organization')),
    name        TEXT NOT NULL,
    sex         TEXT NOT NULL DEFAULT '',
    birth_date  TEXT NOT NULL DEFAULT '',
    doc_type    TEXT NOT NULL DEFAULT '',
    doc_enc     TEXT NOT NULL DEFAULT '',
    doc_hash    TEXT NOT NULL DEFAULT '',
    phone_enc   TEXT NOT NULL DEFAULT '',
    phone_hash  TEXT NOT NULL DEFAULT '',
    address     TEXT NOT NULL DEFAULT '',
    credit_code TEXT NOT NULL DEFAULT '',
    legal_rep   TEXT NOT NULL DEFAULT '',
    merged_into INTEGER REFERENCES persons(id),
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
CREATE INDEX persons_org ON persons(org_id);
CREATE INDEX persons_doc_hash ON persons(doc_hash) WHERE doc_hash <> '';
CREATE INDEX persons_phone_hash ON persons(phone_hash) WHERE phone_hash <> '';
CREATE INDEX persons_name ON persons(name, birth_date);
CREATE INDEX persons_credit_code ON persons(credit_code) WHERE credit_code <> '';
