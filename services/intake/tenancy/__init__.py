"""The partner and staff API's rules: what an API key may submit and read (tenancy), and Idempotency-Key.

See :mod:`services.intake.tenancy.domain` for the rules; ``store`` holds their SQL, ``handlers`` the
keyed submission and ``http`` the listing and how refusals are answered.
"""
