"""Short polls (issue 16): a council asks a few questions on one theme, of its panel or publicly.

- ``domain``: what a poll and an answer must be, and the results as a council may read them;
- ``store``: SQL; ``http``: the councils' API; ``web``: the resident's page ``/peiling/…``.
"""
