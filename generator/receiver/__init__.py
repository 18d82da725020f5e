"""Reference receiver for the endpoint protocol (docs/protocol.md).

    app.py        WSGI application: submit / confirm / withdraw, CORS, error mapping
    payload.py    parse and validate request bodies (JSON or urlencoded, 16 KB max)
    contacts.py   phone (E.164 via phonenumbers) and email normalisation
    tokens.py     confirmation tokens and short codes (only hashes are stored)
    ledger.py     append-only SQLite consent ledger, tokens, outbox
    messages.py   the localised confirmation message and error texts
    ratelimit.py  sliding-window limits per contact and per client address
    export.py     `optin ledger export` as JSON lines or CSV
    local.py      `optin serve`: the built site + receiver + /_outbox on one local server

It imports the campaign model and the catalogs, never the renderer.
"""
