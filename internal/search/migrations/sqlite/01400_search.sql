-- +goose Up
-- One row per indexed object (a case, a person, ...). tokens holds the
-- pre-split bigrams/unigrams/words made in Go, space separated, so the FTS
-- tokenizer only has to split on spaces and both engines index the same
-- lexemes.
CREATE TABLE search_docs (
    id         INTEGER PRIMARY KEY,
    kind       TEXT NOT NULL,
    ref_id     INTEGER NOT NULL,
    org_id     INTEGER NOT NULL REFERENCES orgs(id),
    title      TEXT NOT NULL,
    title_key  TEXT NOT NULL,
    tokens     TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (kind, ref_id)
);
CREATE INDEX search_docs_org ON search_docs(org_id);

-- External-content FTS5 index over search_docs.tokens. detail=none: queries
-- are only ANDs of single tokens, never phrases, so positions are not kept.
CREATE VIRTUAL TABLE search_fts USING fts5(
    tokens,
    content = 'search_docs',
    content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 0',
    detail = none
);

-- +goose StatementBegin
CREATE TRIGGER search_docs_ai AFTER INSERT ON search_docs BEGIN
    INSERT INTO search_fts(rowid, tokens) VALUES (new.id, new.tokens);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER search_docs_ad AFTER DELETE ON search_docs BEGIN
    INSERT INTO search_fts(search_fts, rowid, tokens) VALUES ('delete', old.id, old.tokens);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER search_docs_au AFTER UPDATE OF tokens ON search_docs BEGIN
    INSERT INTO search_fts(search_fts, rowid, tokens) VALUES ('delete', old.id, old.tokens);
    INSERT INTO search_fts(rowid, tokens) VALUES (new.id, new.tokens);
END;
-- +goose StatementEnd
