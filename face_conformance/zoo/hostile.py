"""The zoo's hostile variants: servers that misbehave below the contract (gateways, broken proxies).

The suite must stay in control against them: exit 1 or 3, every report written, no traceback, and
bounded time. The wire-level faults (hang, dropped connection, wrong Content-Length) are asked of
`reference.asgi` through `WireFault`, so they show on a socket only (`serve`, the kill matrix).
"""

from __future__ import annotations

import json
import zlib

import httpx

from face_conformance.reference.asgi import ENCODED_BODY, WIRE_FAULT, WireFault
from face_conformance.reference.service import ReferenceService
from face_conformance.zoo.registry import register

BAD_GATEWAY_PAGE = (
    b"<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center>"
    b"<hr><center>nginx</center></body></html>\r\n"
)
#: The size of `huge-error-bodies`' error messages: well past what any client should keep.
HUGE_BYTES = 8 << 20


def _bad_gateway() -> httpx.Response:
    return httpx.Response(502, content=BAD_GATEWAY_PAGE, headers={"Content-Type": "text/html"})


def _is_update(request: httpx.Request) -> bool:
    return request.method == "PATCH"


class WireFaultOnUpdate(ReferenceService):
    """Base: every PATCH is answered by the reference, then sent with `FAULT` on the wire."""

    FAULT = WireFault()

    def handle(self, request: httpx.Request) -> httpx.Response:
        """The reference's answer, marked with the fault when it answers an update."""
        response = super().handle(request)
        if _is_update(request):
            response.extensions[WIRE_FAULT] = self.FAULT
        return response


@register("bad-gateway-everywhere", "hostile", None, "every answer is an nginx HTML 502 page")
class BadGatewayEverywhere(ReferenceService):
    def dispatch(self, request: httpx.Request) -> httpx.Response:
        """The gateway never reaches the service."""
        return _bad_gateway()


@register("bad-gateway-on-update", "hostile", None, "the supporting calls work; every PATCH gets an HTML 502 page")
class BadGatewayOnUpdate(ReferenceService):
    def dispatch(self, request: httpx.Request) -> httpx.Response:
        """502 for updates, the reference for the rest."""
        return _bad_gateway() if _is_update(request) else super().dispatch(request)


@register("drops-update-connection", "hostile", None,
          "closes the connection half-way through the headers of every PATCH answer")
class DropsUpdateConnection(WireFaultOnUpdate):
    FAULT = WireFault(drop_after=20)


@register("hangs-on-update", "hostile", None,
          "never answers a PATCH (the connection stays open until the client leaves)")
class HangsOnUpdate(WireFaultOnUpdate):
    FAULT = WireFault(hang=True)


@register("wrong-content-length", "hostile", None,
          "every PATCH answer declares 64 bytes more than it sends, then the connection closes")
class WrongContentLength(ReferenceService):
    def handle(self, request: httpx.Request) -> httpx.Response:
        """The reference's answer, with a Content-Length that overstates the body."""
        response = super().handle(request)
        if _is_update(request):
            response.extensions[WIRE_FAULT] = WireFault(content_length=len(response.content) + 64)
        return response


@register("huge-error-bodies", "hostile", None, "every error answer carries an 8 MB message")
class HugeErrorBodies(ReferenceService):
    def json_response(self, status: int, payload: object) -> httpx.Response:
        """The reference's JSON answer; an error's message padded to HUGE_BYTES."""
        if status < 400 or not isinstance(payload, dict) or not isinstance(payload.get("error"), dict):
            return super().json_response(status, payload)
        error = dict(payload["error"])
        error["message"] = str(error.get("message", "")) + " " + "x" * HUGE_BYTES
        content = json.dumps({"error": error}).encode("ascii")
        return httpx.Response(status, content=content, headers={"Content-Type": "application/json"})



@register("drip-feeds-answers", "hostile", None,
          "sends every PATCH answer (status line and headers too) one byte every half second", mock=False)
class DripFeedsAnswers(WireFaultOnUpdate):
    FAULT = WireFault(drip_s=0.5)


#: The decoded size of `gzip-bomb`'s answers; the compressed body is about a thousandth of it.
BOMB_BYTES = 256 << 20
_bomb: list[bytes] = []


def _gzip_bomb() -> bytes:
    """gzip of BOMB_BYTES zeros, made once."""
    if not _bomb:
        packer = zlib.compressobj(9, zlib.DEFLATED, 31)
        block = bytes(1 << 20)
        _bomb.append(b"".join(packer.compress(block) for _ in range(BOMB_BYTES >> 20)) + packer.flush())
    return _bomb[0]


@register("gzip-bomb", "hostile", None, "answers every PATCH with a gzip body that decodes to 256 MB of zeros",
          mock=False)
class GzipBomb(ReferenceService):
    def dispatch(self, request: httpx.Request) -> httpx.Response:
        """The bomb for updates, the reference for the rest."""
        if not _is_update(request):
            return super().dispatch(request)
        response = httpx.Response(400, headers={"Content-Type": "application/json"})
        response.extensions[ENCODED_BODY] = (_gzip_bomb(), "gzip")
        return response
