"""The figures of a report, built from what the store read: pure functions, no I/O.

One module per part of the report: ``questions`` (what came in, the waiting list, how fast),
``assignments`` (supporters at work, capacity, declines) and ``participation`` (signals,
experiences, who took part); ``overview`` holds the all-time figures. The keys of tables and
statistics are an interface: the dashboard, the CSV export and ``StatisticsPublished`` name them.
"""
