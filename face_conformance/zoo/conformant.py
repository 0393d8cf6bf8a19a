"""The zoo's conformant variants."""

from __future__ import annotations
