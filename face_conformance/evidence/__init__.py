"""Evidence: what was sent and what came back, redacted, recorded, and written as HAR or a result record.

Rule: imports only `cases`. Formats and codecs, no sending and no judging.
"""
