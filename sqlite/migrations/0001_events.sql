-- The event log: the source of truth. Every recorded event with the
-- decision mamori gave it, in log order. Account state is derived from it.
CREATE TABLE events (
    seq      INTEGER PRIMARY KEY,
    id       TEXT    NOT NULL UNIQUE,
    account  TEXT    NOT NULL,
    type     TEXT    NOT NULL,
    time     TEXT    NOT NULL,
    event    BLOB    NOT NULL,
    decision BLOB    NOT NULL
);
CREATE INDEX events_by_account ON events (account, seq);
