"""Local tooling: what runs Samenloket on one machine and measures it, apart from the services.

- :mod:`.launcher` — ``samenloket up``: starts the infrastructure (:mod:`.infrastructure`), the
  four services as supervised child processes, and with ``--demo`` the demo;
- :mod:`.embedded` — embedded PostgreSQL and Tansu broker (also the test fixtures' infrastructure);
- :mod:`.mailsink` — the local SMTP sink: mail as ``.eml`` files and a readable inbox;
- :mod:`.demo` — the demo of the region served (Drechtsteden or IJmond), its keys and the trickle that keeps it moving;
- :mod:`.bench` — ``samenloket bench``, the load benchmark of the running system;
- :mod:`.match_eval`, :mod:`.match_bench` — ``samenloket match-eval`` and ``match-bench``, the
  matching engine's scenario evaluation and in-process benchmark.

This package may import the services (the demo writes supporters through matching's store); the
services and the kit never import it, which import-linter checks in ``make lint`` (pyproject.toml).
Production runs none of it: containers run ``samenloket serve``.
"""
