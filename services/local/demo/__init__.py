"""The demo of `samenloket up --demo`: the Drechtsteden region, its API keys and the trickle of activity.

- :mod:`.region` — organisations and supporters, written through matching's store;
- :mod:`.activity` — the requests residents, supporters and the municipality make (deterministic);
- :mod:`.keys` — the demo partner's and report readers' API keys, reused across runs;
- :mod:`.trickle` — sends that activity through the public APIs, one step at a time.
"""
