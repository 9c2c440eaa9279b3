-- Webhooks (package webhook): endpoints, their signing secrets, the
-- deliveries of messages to them, and the dispatcher's cursor in the
-- event log. The outbox is the log plus the cursor: messages are derived
-- from the records after it, and the deliveries of a record are stored in
-- the transaction that moves the cursor past it. Times are Unix
-- milliseconds.
CREATE TABLE webhook_endpoints (
    id            TEXT    PRIMARY KEY,
    url           TEXT    NOT NULL,
    events        TEXT    NOT NULL, -- JSON array of message types
    created       INTEGER NOT NULL,
    secrets_added INTEGER NOT NULL  -- numbers the secrets; never reused
);

CREATE TABLE webhook_secrets (
    endpoint TEXT    NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    n        INTEGER NOT NULL,
    secret   TEXT    NOT NULL,
    created  INTEGER NOT NULL,
    expires  INTEGER,
    PRIMARY KEY (endpoint, n)
);

-- One row per message and endpoint; pos is log order.
CREATE TABLE webhook_deliveries (
    pos          INTEGER PRIMARY KEY,
    endpoint     TEXT    NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    message      TEXT    NOT NULL,
    type         TEXT    NOT NULL,
    seq          INTEGER NOT NULL,
    status       TEXT    NOT NULL, -- pending, delivered, failed, dead
    attempts     INTEGER NOT NULL,
    next_attempt INTEGER,
    last_attempt INTEGER,
    last_code    INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT    NOT NULL DEFAULT '',
    created      INTEGER NOT NULL,
    delivered    INTEGER,
    payload      BLOB    NOT NULL,
    UNIQUE (endpoint, message)
);
CREATE INDEX webhook_deliveries_open ON webhook_deliveries (endpoint, pos)
    WHERE status IN ('pending', 'failed');
CREATE INDEX webhook_deliveries_by_status ON webhook_deliveries (endpoint, status, pos);

-- The last log sequence dispatched. It starts at the log's end: records
-- older than webhooks themselves have no endpoint to go to.
CREATE TABLE webhook_cursor (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL
);
INSERT INTO webhook_cursor (id, seq) SELECT 1, coalesce(max(seq), 0) FROM events;
