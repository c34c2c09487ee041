-- +goose Up
-- One small row per indexed object (a case, a person, ...): what a result
-- shows and how it is scoped and ordered. The tokens (bigrams, unigrams and
-- words made in Go) live only in the FTS index, so these rows stay small and
-- the per-hit lookups stay in cache.
CREATE TABLE search_docs (
    id         INTEGER PRIMARY KEY,
    kind       TEXT NOT NULL,
    ref_id     INTEGER NOT NULL,
    org_id     INTEGER NOT NULL REFERENCES orgs(id),
    title      TEXT NOT NULL,
    title_key  TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (kind, ref_id)
);
CREATE INDEX search_docs_org ON search_docs(org_id);

-- Contentless FTS5 index, rowid = search_docs.id, written by search.Index.
-- Tokens are pre-split and space separated, so unicode61 only splits on
-- spaces; detail=none because queries are ANDs of single tokens, never
-- phrases; contentless_delete lets a document be replaced or removed.
CREATE VIRTUAL TABLE search_fts USING fts5(
    tokens,
    content = '',
    contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 0',
    detail = none
);

-- +goose StatementBegin
CREATE TRIGGER search_docs_ad AFTER DELETE ON search_docs BEGIN
    DELETE FROM search_fts WHERE rowid = old.id;
END;
-- +goose StatementEnd
