"""Region files shipped with Samenloket (TOML; see services/kit/region.py)."""
