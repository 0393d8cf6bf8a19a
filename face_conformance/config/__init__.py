"""Configuration: every command's options declared once, validated into `Settings`.

Rule: imports only `cases` and `evidence`; it does not know the zoo (the fronts check `--variant`).
"""
