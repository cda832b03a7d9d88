"""The demo of `samenloket up --demo`: the region served (its region file's `[demo]`), API keys and a trickle.

- :mod:`.region` — the region file's organisations and fictional supporters, written through matching's store;
- :mod:`.activity` — the requests residents, supporters and the municipality make (deterministic);
- :mod:`.keys` — the demo partner's and report readers' API keys, reused across runs;
- :mod:`.trickle` — sends that activity through the public APIs, one step at a time.
"""
