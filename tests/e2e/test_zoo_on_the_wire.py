"""Zoo variants on a real socket: the wire faults over loopback, and `face-conformance serve --variant`.

What each variant does in process (the registry, the listing, each conformant variant's difference)
is the unit tier's (`tests/unit/test_zoo.py`).
"""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator

import httpx
import pytest
from harness import cli_command
from zoo_config import MATRIX_KEY, live_config

from face_conformance.reference import BackgroundServer
from face_conformance.zoo import VARIANTS

# -- the wire faults, over a real socket ------------------------------------------------------


@pytest.fixture
def serve_variant(request: pytest.FixtureRequest) -> Iterator[httpx.Client]:
    """A client for a face of the variant named by the test's parameter, served on loopback."""
    with BackgroundServer(VARIANTS[request.param].build(live_config())) as server, \
            httpx.Client(base_url=server.base_url + "/face/v1.0", timeout=1.5,
                         headers={"Ocp-Apim-Subscription-Key": MATRIX_KEY}) as client:
        assert client.put("/persongroups/wire", json={"name": "wire"}).status_code == 200
        yield client


def _patch(client: httpx.Client) -> httpx.Response:
    return client.patch("/persongroups/wire/persons/00000000-0000-4000-8000-000000000000/persistedFaces/"
                        "00000000-0000-4000-8000-000000000000", json={"userData": "x"})


@pytest.mark.parametrize("serve_variant", ["hangs-on-update"], indirect=True)
def test_hang_answers_nothing_until_the_client_gives_up(serve_variant: httpx.Client) -> None:
    """The PATCH times out; the server stays up for the next call."""
    with pytest.raises(httpx.ReadTimeout):
        _patch(serve_variant)
    assert serve_variant.get("/persongroups/wire").status_code == 200


@pytest.mark.parametrize("serve_variant", ["drops-update-connection"], indirect=True)
def test_drop_closes_the_connection_mid_answer(serve_variant: httpx.Client) -> None:
    """The PATCH's answer stops inside its headers; the next call is answered normally."""
    with pytest.raises(httpx.RemoteProtocolError):
        _patch(serve_variant)
    assert serve_variant.get("/persongroups/wire").status_code == 200


@pytest.mark.parametrize("serve_variant", ["wrong-content-length"], indirect=True)
def test_wrong_content_length_promises_more_than_it_sends(serve_variant: httpx.Client) -> None:
    """The status line and headers arrive, the body falls short of the declared Content-Length."""
    with serve_variant.stream("PATCH", "/persongroups/wire/persons/00000000-0000-4000-8000-000000000000/"
                              "persistedFaces/00000000-0000-4000-8000-000000000000", json={"userData": "x"}) as answer:
        assert answer.status_code == 404
        declared = int(answer.headers["content-length"])
        with pytest.raises(httpx.RemoteProtocolError):
            answer.read()
    assert declared > 64


# -- `face-conformance serve --variant` ---------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_variant_serves_that_variant() -> None:
    """`serve --variant trims-whitespace` answers on its port, and stores trimmed userData."""
    port = _free_port()
    server = subprocess.Popen(cli_command("serve", "--port", str(port), "--key", MATRIX_KEY,
                                          "--variant", "trims-whitespace"),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}/face/v1.0", timeout=2,
                          headers={"Ocp-Apim-Subscription-Key": MATRIX_KEY}) as client:
            deadline = time.monotonic() + 20
            while True:
                try:
                    assert client.put("/persongroups/cli", json={"name": "cli"}).status_code == 200
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline and server.poll() is None, "serve did not come up"
                    time.sleep(0.1)
            person = client.post("/persongroups/cli/persons", json={"name": "p"}).json()["personId"]
            face = client.post(f"/persongroups/cli/persons/{person}/persistedFaces", json={"url": "u"}).json()
            path = f"/persongroups/cli/persons/{person}/persistedFaces/{face['persistedFaceId']}"
            assert client.patch(path, json={"userData": "  padded  "}).status_code == 200
            assert client.get(path).json()["userData"] == "padded"
    finally:
        server.terminate()
        output = server.communicate(timeout=15)[0]
    assert "trims-whitespace on http://127.0.0.1" in output


def test_serve_unknown_variant_is_a_usage_error() -> None:
    """An unknown --variant is exit 2 with one line naming it."""
    done = subprocess.run(cli_command("serve", "--variant", "no-such-variant"), capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 2
    assert "no-such-variant" in done.stderr and "Traceback" not in done.stderr
