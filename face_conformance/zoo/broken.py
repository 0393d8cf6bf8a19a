"""The zoo's broken variants."""

from __future__ import annotations
