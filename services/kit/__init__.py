"""The shared kit: settings, database, broker, outbox, inbox, consumption, telemetry, HTTP basics.

Every service uses these once; no service keeps its own copy of the plumbing.
"""
