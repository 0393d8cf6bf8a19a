"""face-conformance: the conformance suite for Azure Face v1.0 "PersonGroup Person - Update Face"."""

__version__ = "0.1.0"
