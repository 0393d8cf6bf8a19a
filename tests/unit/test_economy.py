"""`face_conformance.cases.economy`: the floor of requests a smoke run needs, from the catalogue.

A live smoke run held to 1.5 times that floor is the end-to-end tier's (`tests/e2e/test_smoke_economy.py`).
"""

from __future__ import annotations

from face_conformance.cases import catalogue, economy


def test_floor_terms_are_documented_and_add_up() -> None:
    terms = economy.minimum_terms()
    assert [t.name for t in terms] == ["set-up", "rows", "read-backs", "training", "teardown"]
    assert all(t.requests > 0 and t.why for t in terms)
    assert economy.minimum_smoke_requests() == sum(t.requests for t in terms)


def test_at_will_rows_come_from_the_catalogue() -> None:
    at_will = set(economy.at_will_rows())
    for row in catalogue.rows():
        provokable = row.level != "N/A" and row.observe in ("always", "training")
        assert (row.id in at_will) == provokable, row.id
    # The rows a live server shows only when it chooses to are not in the floor.
    assert not at_will & {"403.quota", "429.rate-limit", "409.concurrent", "400.name-too-long"}
    assert economy.RIDES_ON_OTHERS <= at_will
    assert set(economy.READ_BACKS) <= at_will
    assert set(economy.own_request_rows()) == at_will - economy.RIDES_ON_OTHERS
