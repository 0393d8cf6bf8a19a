"""Self-tests of `openapi/face-v1.0.yaml`: a valid OpenAPI document that carries every row as data."""

from __future__ import annotations

from typing import Any

import yaml
from openapi_spec_validator import validate

from face_conformance.cases import catalogue


def _doc() -> dict[str, Any]:
    with catalogue.document_path().open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _patch() -> dict[str, Any]:
    return _doc()["paths"][catalogue.PATCH_PATH]["patch"]


def test_document_validates_as_openapi() -> None:
    validate(_doc())  # raises on an invalid document


def test_security_is_the_subscription_key_header() -> None:
    doc = _doc()
    schemes = doc["components"]["securitySchemes"]
    assert schemes == {"subscriptionKey": {"type": "apiKey", "in": "header", "name": "Ocp-Apim-Subscription-Key"}}
    assert doc["security"] == [{"subscriptionKey": []}]


def test_patch_documents_exactly_the_page_statuses() -> None:
    assert set(_patch()["responses"]) == {"200", "400", "401", "403", "404", "409", "415", "429"}


def test_patch_path_has_the_three_ids() -> None:
    params = _doc()["paths"][catalogue.PATCH_PATH]["parameters"]
    assert [p["$ref"].rsplit("/", 1)[1] for p in params] == ["personGroupId", "personId", "persistedFaceId"]


def test_every_documented_row_is_an_example_with_x_row() -> None:
    seen = []
    for status, response in _patch()["responses"].items():
        if "x-row" in response:  # the 200 has no body, so its row sits on the response
            assert status == "200"
            seen.append(response["x-row"]["id"])
        for media in response.get("content", {}).values():
            for name, example in media["examples"].items():
                meta = example["x-row"]
                assert meta["id"] == name
                assert meta["id"].startswith(status + ".")
                assert meta["level"] in catalogue.LEVELS
                seen.append(meta["id"])
    assert sorted(seen) == sorted(r.id for r in catalogue.rows() if not r.cross_cutting)
    assert len(seen) == 16


def test_cross_rows_carry_id_and_level() -> None:
    cross = _doc()["x-cross-rows"]
    assert [c["id"] for c in cross] == [r.id for r in catalogue.rows() if r.cross_cutting]
    assert all(c["level"] in ("MUST", "SHOULD") for c in cross)


def test_user_data_schema_is_an_optional_string_of_1kb() -> None:
    body = _patch()["requestBody"]
    assert body["required"] is False
    schema = _doc()["components"]["schemas"]["UpdateFaceRequest"]
    assert schema["properties"]["userData"] == {**schema["properties"]["userData"], "type": "string",
                                                "maxLength": 1024}
    assert "required" not in schema


def test_content_type_header_is_optional() -> None:
    headers = [p for p in _patch()["parameters"] if p["in"] == "header"]
    assert [(h["name"], h["required"]) for h in headers] == [("Content-Type", False)]


def test_document_path_resolves_and_load_document_reads_it() -> None:
    path = catalogue.document_path()
    assert path.is_file()
    assert catalogue.load_document() == _doc()
