"""Cases: what the suite asks and what counts as an answer, as data read from the OpenAPI document.

Rule: imports nothing of the package. Rows, triggers, probes, near misses, strategies, the outcome
vocabulary and the run's world of IDs live here; every other stage builds on them.
"""
