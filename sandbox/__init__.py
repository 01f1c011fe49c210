"""Mock French national health services over real protocols, sharing one store.

Layout: `store/` (SQLAlchemy, tenants), `events.py` (the single event stream that is also the
audit trail), `auth.py` + `policy.py` (personas, tokens, the access matrix), `faults.py`
(per-tenant fault injection for drills), `services/<name>/` (one router per service),
`messaging/` (SMTP/IMAP), `client/` (the Python client for notebooks),
`service_registry.py` (every service's routers, tables, seeder and client, in order),
`personas.py` + `seeding.py` + `template_cache.py` (who logs in, seeding a tenant, cached
seeded SQLite files), `app.py` (wiring).
"""
