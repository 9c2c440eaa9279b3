-- The analyst console (package console): analysts, their sign-in
-- secrets and their sessions. Passwords are argon2id PHC strings;
-- sessions are kept by the SHA-256 of their id, so the table alone
-- signs no one in. Times are Unix milliseconds.
CREATE TABLE console_users (
    name          TEXT    PRIMARY KEY,
    password_hash TEXT    NOT NULL,
    totp_secret   TEXT    NOT NULL,
    created       INTEGER NOT NULL
);

CREATE TABLE console_sessions (
    id_hash TEXT    PRIMARY KEY,
    user    TEXT    NOT NULL REFERENCES console_users (name) ON DELETE CASCADE,
    csrf    TEXT    NOT NULL,
    created INTEGER NOT NULL,
    expires INTEGER NOT NULL
);
CREATE INDEX console_sessions_by_expiry ON console_sessions (expires);
