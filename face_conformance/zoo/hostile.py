"""The zoo's hostile variants."""

from __future__ import annotations
