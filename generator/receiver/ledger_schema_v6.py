"""Ledger schema version 6: an event may record `rectified` (rectify.py, GDPR Art. 16).

The events table checks its `event` against the known states. PostgreSQL replaces the check in
place. SQLite cannot alter a check, so the table is rebuilt the way SQLite documents it: a copy
with the wider check takes every row as it is (ids, hashes: the chain is untouched), the old
table goes, the copy takes its name, and the indexes and triggers that belong to or mention the
table are made again from their own stored SQL (so whatever triggers earlier versions made stay
exactly as they were). A ledger already allowing the state is left alone.
"""
from __future__ import annotations

import re

from .ledger_schema import EVENTS

CHECK = re.compile(r"CHECK \(event IN \([^)]*\)\)")
MENTIONS = re.compile(r"\bevents\b")


def _check() -> str:
    return f"CHECK (event IN ({', '.join(repr(e) for e in EVENTS)}))"


def sqlite(db) -> None:
    sql = db.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'events'").fetchone()[0]
    if "'rectified'" in sql:
        return  # made by a version-2 migration that already knew the state
    if not CHECK.search(sql):
        raise RuntimeError("the events table has no check of its states to widen")
    copy = CHECK.sub(_check(), sql, count=1)
    copy = re.sub(r'^CREATE TABLE "?events"?', "CREATE TABLE events_v6", copy)
    kept = [(kind, name, text) for kind, name, table, text in
            db.execute("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE type IN ('index', 'trigger')"
                       " AND sql IS NOT NULL ORDER BY rowid").fetchall()
            if table == "events" or (kind == "trigger" and MENTIONS.search(text))]
    for kind, name, _ in kept:
        if kind == "trigger":
            db.execute(f'DROP TRIGGER "{name}"')
    db.execute(copy)
    db.execute("INSERT INTO events_v6 SELECT * FROM events")
    db.execute("DROP TABLE events")
    db.execute("ALTER TABLE events_v6 RENAME TO events")
    for _, _, text in kept:
        db.execute(text)


def postgres(db) -> None:
    db.execute("ALTER TABLE events DROP CONSTRAINT IF EXISTS events_event_check")
    db.execute(f"ALTER TABLE events ADD CONSTRAINT events_event_check {_check()}")
