"""The upload limits, against a real server: what the wrapped app gets to read, and what the client sees."""

import hashlib
import http.client
import os
import socket

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bildgen.http.limits import MAX_UPLOAD_BYTES, MAX_UPLOAD_FILES, UploadSizeLimit
from bildgen.store.references import MAX_BYTES

MB = 1024 * 1024


async def receive_files(request: Request) -> JSONResponse:
    """Stands in for Reflex's upload route: reads the whole form, as Reflex's buffered upload does."""
    form = await request.form()
    files = {}
    for upload in form.getlist("files"):
        files[upload.filename] = hashlib.sha256(await upload.read()).hexdigest()
    return JSONResponse(files)


class CountingServer:
    """The upload route behind the limit, counting the body bytes the limit took from the server."""

    def __init__(self, serve) -> None:
        self.bytes_read = 0
        limited = UploadSizeLimit(Starlette(routes=[Route("/_upload", receive_files, methods=["POST"])]))

        async def counting(scope, receive, send):
            async def counted_receive():
                message = await receive()
                self.bytes_read += len(message.get("body", b""))
                return message

            await limited(scope, counted_receive, send)

        self.server = serve(counting)
        self.url = self.server.base_url.removesuffix("/v1") + "/_upload"

    def post(self, files, **options) -> httpx.Response:
        return httpx.post(self.url, files=[("files", file) for file in files], timeout=60, **options)


@pytest.fixture
def upload_server(serve):
    return CountingServer(serve)


def test_small_files_pass_through_byte_for_byte(upload_server):
    contents = {f"photo-{index}.png": os.urandom(300_000 + index) for index in range(3)}
    response = upload_server.post([(name, data, "image/png") for name, data in contents.items()])
    assert response.status_code == 200
    assert response.json() == {name: hashlib.sha256(data).hexdigest() for name, data in contents.items()}


def test_a_file_at_the_limit_passes(upload_server):
    data = os.urandom(MAX_BYTES)
    response = upload_server.post([("big.png", data, "image/png")])
    assert response.status_code == 200
    assert response.json() == {"big.png": hashlib.sha256(data).hexdigest()}


def test_one_oversized_file_is_refused_after_little_more_than_the_limit_was_read(upload_server):
    small = ("small.png", b"\x89PNG small", "image/png")
    huge = ("huge.png", b"\0" * (60 * MB), "image/png")
    response = upload_server.post([small, huge])
    assert response.status_code == 413
    assert "at most 20 MB" in response.text
    # The request was honest (60 MB, well under the request cap), yet only the first ~20 MB were read.
    assert MAX_BYTES < upload_server.bytes_read < MAX_BYTES + 2 * MB


def test_too_many_files_are_refused(upload_server):
    files = [(f"{index}.png", b"tiny", "image/png") for index in range(MAX_UPLOAD_FILES + 1)]
    response = upload_server.post(files)
    assert response.status_code == 413
    assert f"at most {MAX_UPLOAD_FILES} files" in response.text


def raw_request(url: str, headers: dict[str, str], body: bytes = b"") -> tuple[int, bytes]:
    """Send a request by hand (so its headers may promise more than is sent); the answer's status and body."""
    address = httpx.URL(url)
    with socket.create_connection((address.host, address.port), timeout=10) as connection:
        lines = [f"POST {address.path} HTTP/1.1", f"Host: {address.host}"]
        lines += [f"{key}: {value}" for key, value in headers.items()]
        connection.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        answer = http.client.HTTPResponse(connection)
        answer.begin()
        return answer.status, answer.read()


def test_a_request_announcing_too_many_bytes_is_answered_before_its_body_is_sent(upload_server):
    headers = {"Content-Type": "multipart/form-data; boundary=x", "Content-Length": str(MAX_UPLOAD_BYTES + 1)}
    status, _ = raw_request(upload_server.url, headers)  # not one byte of the body was sent
    assert status == 413
    assert upload_server.bytes_read == 0


def test_a_request_without_a_length_is_refused(upload_server):
    def chunks():
        yield b"--x\r\n"

    response = httpx.post(
        upload_server.url, content=chunks(), headers={"Content-Type": "multipart/form-data; boundary=x"}
    )
    assert response.status_code == 411
    assert upload_server.bytes_read == 0


def test_an_upload_that_is_not_multipart_is_refused(upload_server):
    response = httpx.post(upload_server.url, data={"files": "x" * 1000})
    assert response.status_code == 415


def test_the_refusal_arrives_while_the_rest_of_the_file_is_still_unsent(upload_server):
    head = (
        b'--x\r\nContent-Disposition: form-data; name="files"; filename="huge.png"\r\nContent-Type: image/png\r\n\r\n'
    )
    headers = {"Content-Type": "multipart/form-data; boundary=x", "Content-Length": str(len(head) + 60 * MB + 7)}
    # Only the first 22 MB of the announced 60 are ever sent; the answer comes anyway.
    status, text = raw_request(upload_server.url, headers, head + b"\0" * (22 * MB))
    assert status == 413
    assert b"at most 20 MB" in text


def test_a_boundary_longer_than_multipart_allows_is_a_clear_refusal(upload_server):
    boundary = "b" * 300
    body = f"--{boundary}--\r\n".encode()
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}", "Content-Length": str(len(body))}
    status, text = raw_request(upload_server.url, headers, body)
    assert (status, text) == (400, b"Upload refused: the request is not well-formed multipart data.")
