"""Public event contracts of Samenloket: topics, codes, event payloads and the CloudEvents envelope.

Partner systems, operators and every service import from here; anything in this package is a
public interface (see ARCHITECTURE.md). Breaking a reader fails ``tests/contract``.
"""
