"""Judging: small pure functions of exchanges that turn answers into findings, folded into a verdict.

Rule: imports only `cases` and `evidence`. It never sends (no `live`) and never formats (no `reporting`).
"""
