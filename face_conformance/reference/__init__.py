"""The embedded reference service: an in-memory Face API that follows docs/contract.md.

It serves the whole Update Face family (person groups, large person groups, large face lists)
under /face/v1.0 and /face/v1.2 at once; `ReferenceConfig` holds its switches.

`ReferenceService.handle(httpx.Request) -> httpx.Response` is the one seam: respx and
`httpx.MockTransport` call it in process, `asgi_app` wraps it for uvicorn, `serve` and
`BackgroundServer` put it on a socket.
"""

from face_conformance.reference.asgi import asgi_app
from face_conformance.reference.server import BackgroundServer, serve
from face_conformance.reference.service import ReferenceConfig, ReferenceService

__all__ = ["BackgroundServer", "ReferenceConfig", "ReferenceService", "asgi_app", "serve"]
