"""Anonymous engagement statistics, built only from the core's events (DESIGN: "events, not counters").

- `schema`: the tables (their own sqlite-utils migration set).
- `fields`: the closed vocabulary a counter may hold; anything else is dropped, never stored.
- `daykey`: the random key that lives for one day, for counting daily unique users.
- `recorder`: `Statistics`, the only writer of statistics.
- `unanswered`: the optional, scrubbed, 30-day log of questions the assistant could not answer.
"""
