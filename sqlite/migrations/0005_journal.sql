-- Where the tables stand in the journal (package sqlite, journal.go):
-- every record before this segment and byte offset is in events, and
-- none after it. It moves in the transaction that writes the records.
CREATE TABLE journal_position (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    segment     INTEGER NOT NULL,
    byte_offset INTEGER NOT NULL
);
INSERT INTO journal_position (id, segment, byte_offset) VALUES (1, 0, 0);
