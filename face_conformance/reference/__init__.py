"""The embedded reference service: an in-memory Face v1.0 person-group API that follows docs/contract.md.

`ReferenceService.handle(httpx.Request) -> httpx.Response` is the one seam: respx and
`httpx.MockTransport` call it in process, `asgi_app` wraps it for uvicorn, `serve` and
`BackgroundServer` put it on a socket.
"""

from face_conformance.reference.asgi import asgi_app
from face_conformance.reference.server import BackgroundServer, serve
from face_conformance.reference.service import ReferenceConfig, ReferenceService

__all__ = ["BackgroundServer", "ReferenceConfig", "ReferenceService", "asgi_app", "serve"]
