"""R3: hostile or careless input never gets a 5xx; every error is a 4xx with a JSON `detail`.

schemathesis generates requests from the running server's /openapi.json, both fitting the
schema (positive) and breaking it (negative), with and without the API key. The event stream
never ends, so it is read separately with a bounded read. Targeted cases follow for what
generators rarely reach: huge numbers, long query strings, unknown paths, other methods and
malformed HTTP.
"""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Callable, Iterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.schemas import APIOperation, BaseSchema

from tests.reliability.support import Budget, Figures, PipedServer, make_piped_server

API_KEY = "r3-" + uuid.uuid4().hex
STREAM_PATHS = {"/energy/stream"}  # infinite: read with a bound in its own test
PUBLIC_PATHS = {"/health"}
MODES = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]


@pytest.fixture(scope="module")
def keyed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PipedServer]:
    """A real server with an API key."""
    server = make_piped_server(
        tmp_path_factory.mktemp("bad-input"), env={"ENERGYMON_API_KEY": API_KEY}
    )
    server.headers = {"X-API-Key": API_KEY}
    server.start()
    yield server
    assert server.stop() == 0, server.output()
    assert "Traceback" not in server.full_output()


@pytest.fixture(scope="module")
def schema(keyed: PipedServer) -> BaseSchema:
    """The server's OpenAPI document, loaded by schemathesis."""
    return schemathesis.openapi.from_url(f"{keyed.base_url}/openapi.json")


def _operations(schema: BaseSchema) -> list[APIOperation]:
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/energy", "/logs/historical-data", "/health"}
    return [op for op in operations if op.path not in STREAM_PATHS]


def _problem(response: schemathesis.Response, keyed_request: bool, path: str) -> str | None:
    """What is wrong with a response to a generated request, or None."""
    status = response.status_code
    if status >= 500:
        return f"{status}"
    if not keyed_request and path not in PUBLIC_PATHS and status != 401:
        return f"{status} without the key"
    if status >= 400:
        try:
            body = response.json()
        except ValueError:
            return f"{status} is not JSON"
        if not isinstance(body, dict) or not body.get("detail"):
            return f"{status} has no detail: {body!r}"
    return None


def _reason_line(failure: BaseException) -> str:
    """A schemathesis failure in one line: its title and the sentence that says what is wrong."""
    lines = [line.strip() for line in str(failure).splitlines() if line.strip()]
    says = next((line for line in lines[1:] if " is not " in line or "violat" in line), "")
    return f"{getattr(failure, 'title', lines[0] if lines else '')}: {says}".rstrip(": ")


def _first_reason(exc: BaseException) -> str:
    """The first failure a schemathesis failure group describes."""
    leaves = exc.exceptions if isinstance(exc, BaseExceptionGroup) else (exc,)
    return "; ".join(sorted({_reason_line(leaf) for leaf in leaves}))


def _fuzz(
    operation: APIOperation,
    mode: GenerationMode,
    examples: int,
    check: Callable[[APIOperation, schemathesis.Case], None],
) -> None:
    """Run `check` on up to `examples` cases schemathesis generates for `operation`."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,  # nothing written under the work tree
        suppress_health_check=list(HealthCheck),
    )
    def run(case: schemathesis.Case) -> None:
        check(operation, case)

    run()


@pytest.mark.parametrize("with_key", [True, False], ids=["with-key", "without-key"])
@pytest.mark.parametrize("mode", MODES, ids=str)
def test_generated_requests_never_get_a_5xx_and_errors_are_json(
    keyed: PipedServer,
    schema: BaseSchema,
    *,
    mode: GenerationMode,
    with_key: bool,
    budget: Budget,
    figures: Figures,
) -> None:
    """Every operation, fed schemathesis' requests, answers below 500; its errors are 4xx JSON
    with a detail, and without the key everything but /health is 401."""
    headers = {"X-API-Key": API_KEY} if with_key else {}
    problems: list[str] = []
    sent = 0

    def check(operation: APIOperation, case: schemathesis.Case) -> None:
        nonlocal sent
        response = case.call(base_url=keyed.base_url, headers=headers, timeout=10)
        sent += 1
        problem = _problem(response, with_key, operation.path)
        if problem is not None:
            curl = case.as_curl_command(base_url=keyed.base_url)
            problems.append(f"{operation.method.upper()} {operation.path}: {problem}: {curl}")

    for operation in _operations(schema):
        if mode is GenerationMode.NEGATIVE and not operation.query:
            continue  # nothing to get wrong: the operation takes no parameters
        _fuzz(operation, mode, budget.fuzz_examples, check)
    figures.add("R3 generated requests", sent)
    assert problems == []
    assert sent > 0


def test_valid_requests_get_responses_that_match_the_schema(
    keyed: PipedServer, schema: BaseSchema, budget: Budget
) -> None:
    """Requests that fit the schema, with the key, get responses the schema describes."""
    failures: dict[str, str] = {}  # the first failure of each operation

    def check(operation: APIOperation, case: schemathesis.Case) -> None:
        headers = {"X-API-Key": API_KEY}
        response = case.call(base_url=keyed.base_url, headers=headers, timeout=10)
        try:
            case.validate_response(response, headers=headers)
        except (FailureGroup, Failure) as exc:  # a group when several checks fail
            failures.setdefault(f"{operation.method.upper()} {operation.path}", _first_reason(exc))

    for operation in _operations(schema):
        _fuzz(operation, GenerationMode.POSITIVE, budget.fuzz_examples, check)
    assert failures == {}


def test_the_event_stream_answers_errors_as_json_and_streams_with_a_bound(
    keyed: PipedServer,
) -> None:
    """The stream refuses bad ids and missing keys with JSON, and a bounded read gets events."""
    with keyed.client() as client:
        for params, headers, status in [
            ({"applianceId": "abc"}, {"X-API-Key": API_KEY}, 422),
            ({"applianceId": "99"}, {"X-API-Key": API_KEY}, 404),
            ({}, {}, 401),
            ({}, {"X-API-Key": "wrong"}, 401),
        ]:
            response = client.get("/energy/stream", params=params, headers=headers)
            assert response.status_code == status
            assert response.json()["detail"]
        events = 0
        deadline = time.monotonic() + 5.0
        with client.stream(
            "GET", "/energy/stream", params={"applianceId": 1}, headers={"X-API-Key": API_KEY}
        ) as stream:
            assert stream.status_code == 200
            for line in stream.iter_lines():
                events += line.startswith("data: ")
                if events >= 3 or time.monotonic() > deadline:
                    break
        assert events >= 3


def _get(keyed: PipedServer, path: str, **params: object) -> httpx.Response:
    with keyed.client(headers={"X-API-Key": API_KEY}) as client:
        return client.get(path, params=params)


def _assert_json_4xx(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.json()["detail"]


def _status_of(answer: bytes) -> int | None:
    """The status code of a raw HTTP answer; None when the server closed without one."""
    if not answer:
        return None
    version, status, *_ = answer.split(b"\r\n", 1)[0].split(b" ", 2)
    assert version == b"HTTP/1.1", answer[:200]
    return int(status)


def _raw_exchange(keyed: PipedServer, request: bytes) -> bytes:
    """Send bytes as they are and read the answer (empty if the server just closes)."""
    with socket.create_connection(("127.0.0.1", keyed.port), timeout=5.0) as sock:
        sock.sendall(request)
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except TimeoutError:
            pass  # kept open: what came so far is the answer
        return b"".join(chunks)


@pytest.mark.parametrize(
    "days", ["0", "-1", "-9223372036854775809", "3661", str(10**30), "1e3", "7.5", "", "seven"]
)
def test_days_out_of_range_or_not_a_whole_number_is_422(keyed: PipedServer, days: str) -> None:
    """Huge, negative, zero, fractional and non-numeric `days` get 422 naming `days`."""
    response = _get(keyed, "/logs/historical-data", days=days)
    _assert_json_4xx(response, 422)
    assert "days" in response.text


@pytest.mark.parametrize("value", ["abc", "1.5", "", "0x1", "١", "1e2", "true"])
@pytest.mark.parametrize("path", ["/energy", "/energy/history", "/logs/historical-data"])
def test_an_appliance_id_that_is_not_an_integer_is_422(
    keyed: PipedServer, path: str, value: str
) -> None:
    """applianceId must be a whole number: anything else is 422 naming it."""
    response = _get(keyed, path, applianceId=value)
    _assert_json_4xx(response, 422)
    assert "applianceId" in response.text


@pytest.mark.parametrize("value", ["-1", "0", str(2**63), str(10**30), str(-(10**30))])
@pytest.mark.parametrize(
    "path", ["/energy", "/energy/history", "/energy/summary", "/logs/historical-data"]
)
def test_an_appliance_id_nobody_configured_is_404_however_large(
    keyed: PipedServer, path: str, value: str
) -> None:
    """Ids no appliance has, up to beyond SQLite's 64-bit integers, are 404 (or 422), never 500."""
    response = _get(keyed, path, applianceId=value)
    assert response.status_code in (404, 422), response.text
    assert response.json()["detail"]


@pytest.mark.parametrize("size", [8 * 1024, 100 * 1024])
def test_a_very_long_query_string_is_refused_or_ignored_without_harm(
    keyed: PipedServer, size: int
) -> None:
    """A query string of 8 or 100 kB is answered below 500 (refused or ignored); the server
    goes on serving."""
    target = f"/energy/history?applianceId=1&x={'a' * size}".encode()
    request = b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nX-API-Key: " + API_KEY.encode()
    answer = _raw_exchange(keyed, request + b"\r\nConnection: close\r\n\r\n")
    status = _status_of(answer)
    assert status is None or status < 500, answer[:200]
    with keyed.client(headers={"X-API-Key": API_KEY}) as client:
        assert client.get("/health").status_code == 200


@pytest.mark.parametrize(
    "path",
    ["/nope", "/ENERGY", "/energy/history/1", "/logs", "/logs/download",
     "/logs/download/..%2f..%2fetc%2fpasswd", "/logs/download/energy-monitor/../../etc/passwd",
     "/" + "x" * 4000, "/%00", "/energy%00"],
)  # fmt: skip
def test_an_unknown_path_is_a_json_404(keyed: PipedServer, path: str) -> None:
    """Paths no route has are 404 with a JSON detail (and never reach a file)."""
    with keyed.client(headers={"X-API-Key": API_KEY}) as client:
        response = client.get(path)
    assert response.status_code == 404, response.text
    assert response.json()["detail"]
    assert "root:" not in response.text


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "HEAD", "TRACE"])
def test_a_method_other_than_get_is_a_json_405_on_every_route(
    keyed: PipedServer, schema: BaseSchema, method: str
) -> None:
    """Every route is read-only: other methods get 405 (with a JSON detail when a body is sent)."""
    with keyed.client(headers={"X-API-Key": API_KEY}) as client:
        for path in [op.path for op in _operations(schema)] + sorted(STREAM_PATHS):
            response = client.request(method, path)
            assert response.status_code == 405, (method, path, response.status_code)
            if method != "HEAD":
                assert response.json()["detail"], (method, path)


KEY_HEADER = b"X-API-Key: " + API_KEY.encode() + b"\r\n"
CLOSE = b"Connection: close\r\n"
# name: (raw request, the statuses it may get; None: the server just closes the connection)
MALFORMED: dict[str, tuple[bytes, set[int | None]]] = {
    "key-not-latin1": (b"GET /energy HTTP/1.1\r\nHost: x\r\nX-API-Key: \xff\xfe\xc3\r\n" + CLOSE,
                       {401}),
    "key-with-nul": (b"GET /energy HTTP/1.1\r\nHost: x\r\nX-API-Key: a\x00b\r\n" + CLOSE,
                     {400, 401}),
    "key-twice": (b"GET /energy HTTP/1.1\r\nHost: x\r\n" + KEY_HEADER + b"X-API-Key: wrong\r\n"
                  + CLOSE, {200, 400, 401}),
    "bearer-without-token": (b"GET /energy HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer\r\n"
                             + CLOSE, {401}),
    "header-without-colon": (b"GET /energy HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n" + CLOSE,
                             {400}),
    "header-of-100kB": (b"GET /energy HTTP/1.1\r\nHost: x\r\n" + KEY_HEADER + b"X-Big: "
                        + b"a" * 100_000 + b"\r\n" + CLOSE, {200, 400, 431}),
    "negative-content-length": (b"GET /energy HTTP/1.1\r\nHost: x\r\n" + KEY_HEADER
                                + b"Content-Length: -1\r\n" + CLOSE, {400}),
    "garbage-chunked-body": (b"GET /energy HTTP/1.1\r\nHost: x\r\n" + KEY_HEADER
                             + b"Transfer-Encoding: chunked\r\n" + CLOSE + b"\r\nzz\r\nnot hex\r\n",
                             {200, 400}),
    "tls-hello-on-http": (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 TLS hello\r\n\r\n",
                          {400, None}),
    "no-host-on-http11": (b"GET /energy HTTP/1.1\r\n" + KEY_HEADER + CLOSE, {200, 400}),
    "unknown-http-version": (b"GET /energy HTTP/9.9\r\nHost: x\r\n" + KEY_HEADER + CLOSE,
                             {200, 400}),
    "space-in-target": (b"GET /energy history HTTP/1.1\r\nHost: x\r\n" + KEY_HEADER + CLOSE,
                        {400}),
}  # fmt: skip


@pytest.mark.parametrize(("request_bytes", "expected"), MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_http_is_refused_and_harms_nothing(
    keyed: PipedServer, request_bytes: bytes, expected: set[int | None]
) -> None:
    """Broken requests are refused with a 4xx (or served, where HTTP allows), never a 5xx;
    the server goes on serving."""
    if not request_bytes.endswith(b"\r\n\r\n") and b"chunked" not in request_bytes:
        request_bytes += b"\r\n"
    assert _status_of(_raw_exchange(keyed, request_bytes)) in expected
    with keyed.client(headers={"X-API-Key": API_KEY}) as client:
        assert client.get("/energy").status_code == 200


def test_the_server_survived_the_bad_input_without_a_traceback(keyed: PipedServer) -> None:
    """Nothing above made the service log a traceback (an unhandled error)."""
    assert "Traceback" not in keyed.full_output()
    assert '"level": "error"' not in keyed.full_output()
