"""The HTTP-layer :class:`~kolba.http.response.Response` on its own, with no app or server.

A server adapter only ever calls :meth:`Response.prepare`; these tests pin what it hands over
for each status and method, and compare the plain properties with ``werkzeug.wrappers.Response``
where Werkzeug defines the result.
"""

from __future__ import annotations

import typing as t
from datetime import datetime, timedelta, timezone

import pytest
from werkzeug.test import create_environ
from werkzeug.wrappers import Response as WResponse

from kolba.http.response import ClosingIterator, Response


def _werkzeug_headers(resp: WResponse, method: str = "GET") -> list[tuple[str, str]]:
    return resp.get_wsgi_headers(create_environ(method=method)).to_wsgi_list()


class Tracker:
    """A streamed body that records whether the server closed it."""

    def __init__(self, items: t.Iterable[t.Any]) -> None:
        self._it = iter(items)
        self.closed = False

    def __iter__(self) -> Tracker:
        return self

    def __next__(self) -> t.Any:
        return next(self._it)

    def close(self) -> None:
        self.closed = True


# -- prepare(method) -------------------------------------------------------------------------


def test_prepare_get_buffered_body_is_plain_list() -> None:
    status, headers, body = Response("hello").prepare("GET")
    assert status == "200 OK"
    assert headers == [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", "5")]
    assert body == [b"hello"]


def test_prepare_head_keeps_length_but_sends_no_body() -> None:
    mixed: list[t.Any] = ["ab", b"c"]
    resp = Response(mixed)
    status, headers, body = resp.prepare("HEAD")
    assert status == "200 OK"
    assert list(body) == []
    assert headers == _werkzeug_headers(WResponse(mixed), "HEAD")
    assert ("Content-Length", "3") in headers


def test_prepare_head_closes_streamed_body() -> None:
    gen = Tracker([b"a"])
    resp = Response(gen)
    called: list[str] = []
    resp.call_on_close(lambda: called.append("cb"))
    _, headers, body = resp.prepare("HEAD")
    assert list(body) == []
    assert "Content-Length" not in dict(headers)
    t.cast(ClosingIterator, body).close()
    assert gen.closed
    assert called == ["cb"]


@pytest.mark.parametrize("code", [100, 101, 204])
def test_prepare_no_body_statuses_drop_length_and_type(code: int) -> None:
    resp = Response("ignored", status=code, headers={"X-Keep": "1"})
    status, headers, body = resp.prepare("GET")
    assert status == Response(status=code).status
    assert headers == [("X-Keep", "1")]
    assert list(body) == []


def test_prepare_304_drops_entity_headers_like_werkzeug() -> None:
    hdrs = {
        "ETag": '"a"',
        "Expires": "0",
        "Content-Location": "/x",
        "Last-Modified": "x",
        "Allow": "GET",
        "Content-Encoding": "gzip",
        "Content-Language": "en",
        "X-A": "1",
    }
    resp = Response("body", status=304, headers=hdrs)
    status, headers, body = resp.prepare("GET")
    assert status == "304 NOT MODIFIED"
    assert list(body) == []
    expected = _werkzeug_headers(WResponse("body", status=304, headers=hdrs))
    assert headers == expected
    assert headers == [("ETag", '"a"'), ("Expires", "0"), ("Content-Location", "/x"), ("X-A", "1")]


def test_prepare_encodes_iri_location_headers_like_werkzeug() -> None:
    hdrs = {"Location": '/ü päth?q="<>', "Content-Location": "/é"}
    resp = Response("x", headers=hdrs)
    _, headers, _ = resp.prepare("GET")
    assert headers == _werkzeug_headers(WResponse("x", headers=hdrs))
    assert dict(headers)["Location"] == "/%C3%BC%20p%C3%A4th?q=%22%3C%3E"
    assert dict(headers)["Content-Location"] == "/%C3%A9"
    # The response's own headers keep the IRI the view set.
    assert resp.headers["Location"] == '/ü päth?q="<>'


def test_prepare_ascii_location_untouched() -> None:
    resp = Response("x", status=302, headers={"Location": "/plain"})
    _, headers, _ = resp.prepare("GET")
    assert dict(headers)["Location"] == "/plain"


def test_prepare_computes_length_for_list_and_encodes_str_items() -> None:
    resp = Response(["ab", b"cd", "é"])
    del resp.headers["Content-Length"]
    _, headers, body = resp.prepare("GET")
    assert dict(headers)["Content-Length"] == "6"
    assert list(body) == [b"ab", b"cd", "é".encode()]
    assert all(type(item) is bytes for item in body)


def test_prepare_tuple_body_gets_length() -> None:
    resp = Response((b"a", b"bc"))
    _, headers, body = resp.prepare("GET")
    assert dict(headers)["Content-Length"] == "3"
    assert list(body) == [b"a", b"bc"]


def test_prepare_no_automatic_length() -> None:
    class NoLength(Response):
        automatically_set_content_length = False

    resp = NoLength(["abc"])
    _, headers, body = resp.prepare("GET")
    assert "Content-Length" not in dict(headers)
    assert list(body) == [b"abc"]
    assert "Content-Length" not in dict(NoLength("abc").prepare("GET")[1])


def test_prepare_list_with_on_close_is_wrapped() -> None:
    resp = Response(["a", b"b"])
    called: list[int] = []
    resp.call_on_close(lambda: called.append(1))
    _, _, body = resp.prepare("GET")
    assert isinstance(body, ClosingIterator)
    assert list(body) == [b"a", b"b"]
    body.close()
    body.close()  # a second close from a sloppy server runs nothing again
    assert called == [1]


def test_prepare_generator_wrapped_close_closes_response_and_callbacks() -> None:
    steps: list[str] = []

    def gen() -> t.Iterator[t.Any]:
        try:
            yield "a"
            yield b"b"
            yield "never"
        finally:
            steps.append("gen closed")

    resp = Response(gen())
    resp.call_on_close(lambda: steps.append("cb1"))
    resp.call_on_close(lambda: steps.append("cb2"))
    _, headers, body = resp.prepare("GET")
    assert "Content-Length" not in dict(headers)
    it = iter(body)
    assert next(it) == b"a"
    assert next(it) == b"b"
    t.cast(ClosingIterator, body).close()
    assert steps == ["gen closed", "cb1", "cb2"]


def test_close_runs_callbacks_when_body_close_raises() -> None:
    class BadClose(Tracker):
        def close(self) -> None:
            raise OSError("disk gone")

    resp = Response(BadClose([b"a"]))
    called: list[int] = []
    resp.call_on_close(lambda: called.append(1))
    _, _, body = resp.prepare("GET")
    with pytest.raises(OSError, match="disk gone"):
        t.cast(ClosingIterator, body).close()
    assert called == [1]


def test_close_runs_later_callbacks_when_a_callback_raises() -> None:
    resp = Response(iter([b"a"]))
    called: list[str] = []

    def bad() -> None:
        raise ValueError("boom")

    resp.call_on_close(bad)
    resp.call_on_close(lambda: called.append("second"))
    _, _, body = resp.prepare("GET")
    with pytest.raises(ValueError, match="boom"):
        t.cast(ClosingIterator, body).close()
    assert called == ["second"]


def test_closing_iterator_runs_every_callback_then_reraises_first() -> None:
    called: list[str] = []

    def bad() -> None:
        called.append("bad")
        raise KeyError("first")

    def bad2() -> None:
        called.append("bad2")
        raise ValueError("second")

    it = ClosingIterator([b"x"], [bad, bad2, lambda: called.append("ok")])
    assert list(it) == [b"x"]
    with pytest.raises(KeyError):
        it.close()
    assert called == ["bad", "bad2", "ok"]


def test_prepare_direct_passthrough_hands_iterable_over_untouched() -> None:
    items = [b"raw"]

    class FileWrapper:
        def __init__(self) -> None:
            self.closed = False

        def __iter__(self) -> t.Iterator[bytes]:
            return iter(items)

        def close(self) -> None:
            self.closed = True

    wrapper = FileWrapper()
    resp = Response(wrapper, direct_passthrough=True)
    _, headers, body = resp.prepare("GET")
    assert "Content-Length" not in dict(headers)
    assert list(body) == [b"raw"]
    t.cast(ClosingIterator, body).close()
    assert wrapper.closed


def test_direct_passthrough_refuses_implicit_sequence() -> None:
    resp = Response(iter([b"a"]), direct_passthrough=True)
    with pytest.raises(RuntimeError, match="direct passthrough"):
        resp.get_data()
    assert resp.calculate_content_length() is None
    wresp = WResponse(iter([b"a"]), direct_passthrough=True)
    assert wresp.calculate_content_length() is None


# -- status ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["200 OK", "299 Custom Text", "0 x", " 404 ", "abc", "404", 599, "999", 418, "201 Made"],
)
def test_status_parsing_matches_werkzeug(value: int | str) -> None:
    resp = Response(status=value)
    wresp = WResponse(status=value)
    assert (resp.status, resp.status_code) == (wresp.status, wresp.status_code)


def test_status_bytes_is_decoded() -> None:
    assert Response(status=t.cast(t.Any, b"201 Made")).status == "201 Made"


def test_status_setters() -> None:
    resp = Response()
    resp.status = "299 Nice"
    assert (resp.status, resp.status_code) == ("299 Nice", 299)
    resp.status_code = 404
    assert resp.status == "404 NOT FOUND"
    resp.status = 500
    assert resp.status == "500 INTERNAL SERVER ERROR"


@pytest.mark.parametrize("bad", ["", "   ", "200 OK\r\nX: y", "200 O\nK", "200 \0K"])
def test_status_rejects_empty_and_control_chars(bad: str) -> None:
    with pytest.raises(ValueError):
        Response(status=bad)


# -- body ------------------------------------------------------------------------------------


def test_freeze_buffers_and_sets_length() -> None:
    resp = Response(iter(["ab", b"c"]))
    resp.freeze()
    assert resp.response == [b"ab", b"c"]
    assert resp.headers["Content-Length"] == "3"
    assert resp.is_sequence


def test_make_sequence_closes_the_streamed_iterable_on_close() -> None:
    body = Tracker(["ab", b"c"])
    resp = Response(body)
    resp.make_sequence()
    assert resp.response == [b"ab", b"c"]
    assert not body.closed
    resp.close()
    assert body.closed
    # Already a sequence: nothing changes.
    before = resp.response
    resp.make_sequence()
    assert resp.response is before


def test_calculate_content_length_matches_werkzeug() -> None:
    values: list[t.Any] = [["a", b"bc"], [], ["é"]]
    for value in values:
        assert (
            Response(value).calculate_content_length()
            == WResponse(value).calculate_content_length()
        )
    assert Response(iter([b"abc"])).calculate_content_length() == 3


def test_is_streamed_and_is_sequence() -> None:
    def gen() -> t.Iterator[bytes]:
        yield b"x"

    cases: list[tuple[t.Any, bool, bool]] = [
        ([b"x"], False, True),
        ((b"x",), False, True),
        (gen(), True, False),
        (iter([b"x"]), True, False),
    ]
    for body, streamed, sequence in cases:
        assert (Response(body).is_streamed, Response(body).is_sequence) == (streamed, sequence)
    assert (WResponse([b"x"]).is_streamed, WResponse(gen()).is_streamed) == (False, True)


def test_get_data_on_generator_buffers_it() -> None:
    def gen() -> t.Iterator[t.Any]:
        yield "a"
        yield b"b"

    resp = Response(gen())
    assert resp.get_data() == b"ab"
    assert resp.is_sequence
    assert resp.get_data(as_text=True) == "ab"
    assert resp.text == "ab"
    assert WResponse(gen()).get_data() == b"ab"


def test_set_data_bytearray_and_length() -> None:
    resp = Response()
    resp.data = bytearray(b"xyz")
    assert resp.response == [b"xyz"]
    assert resp.content_length == 3


def test_repr_matches_werkzeug() -> None:
    def gen() -> t.Iterator[bytes]:
        yield b"x"

    class Sized:
        def __len__(self) -> int:
            return 1

        def __iter__(self) -> t.Iterator[bytes]:
            return iter([b"x"])

    bodies: list[t.Any] = [["a", b"bc"], gen(), Sized()]
    for body in bodies:
        status = 201
        assert repr(Response(body, status=status)) == repr(WResponse(body, status=status))
    assert repr(Response(["a", b"bc"])) == "<Response 3 bytes [200 OK]>"
    assert repr(Response(gen())) == "<Response streamed [200 OK]>"
    assert repr(Response(Sized())) == "<Response likely-streamed [200 OK]>"


def test_context_manager_closes() -> None:
    body = Tracker([b"x"])
    with Response(body):
        pass
    assert body.closed


# -- header properties -----------------------------------------------------------------------

UTC = timezone.utc


@pytest.mark.parametrize("name", ["date", "expires", "last_modified"])
def test_date_properties_match_werkzeug(name: str) -> None:
    value = datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)
    resp, wresp = Response(), WResponse()
    setattr(resp, name, value)
    setattr(wresp, name, value)
    header = name.replace("_", "-").title()
    assert resp.headers[header] == wresp.headers[header] == "Thu, 02 Jan 2020 03:04:05 GMT"
    assert getattr(resp, name) == getattr(wresp, name) == value
    setattr(resp, name, 0)
    assert resp.headers[header] == "Thu, 01 Jan 1970 00:00:00 GMT"
    setattr(resp, name, "Wed, 21 Oct 2015 07:28:00 GMT")
    assert getattr(resp, name) == datetime(2015, 10, 21, 7, 28, tzinfo=UTC)
    setattr(resp, name, None)
    assert header not in resp.headers
    assert getattr(resp, name) is None


def test_bad_date_header_reads_none() -> None:
    resp = Response(headers={"Expires": "not a date"})
    assert resp.expires is None
    assert WResponse(headers={"Expires": "not a date"}).expires is None


def test_retry_after_seconds_and_date() -> None:
    resp = Response()
    assert resp.retry_after is None
    resp.retry_after = 120
    assert resp.headers["Retry-After"] == "120"
    before = datetime.now(UTC)
    value = resp.retry_after
    assert value is not None
    assert before + timedelta(seconds=119) <= value <= datetime.now(UTC) + timedelta(seconds=121)
    when = datetime(2030, 1, 1, tzinfo=UTC)
    resp.retry_after = when
    wresp = WResponse()
    wresp.retry_after = when
    assert resp.headers["Retry-After"] == wresp.headers["Retry-After"]
    assert resp.retry_after == when
    resp.retry_after = None
    assert "Retry-After" not in resp.headers


def test_vary_and_allow_sets_write_back() -> None:
    resp, wresp = Response(), WResponse()
    r: t.Any
    for r in (resp, wresp):
        r.vary = ["Cookie", "Accept"]
        r.vary.add("Origin")
        r.allow = "GET, POST"
    assert resp.headers["Vary"] == wresp.headers["Vary"] == "Cookie, Accept, Origin"
    assert sorted(resp.allow) == sorted(wresp.allow) == ["GET", "POST"]
    resp.allow = ["PUT"]
    assert resp.headers["Allow"] == "PUT"
    resp.vary = None
    resp.allow = None
    assert "Vary" not in resp.headers and "Allow" not in resp.headers
    resp.vary = "Accept"
    vary = resp.vary
    vary.discard("Accept")
    assert "Vary" not in resp.headers


def test_content_language_encoding_accept_ranges() -> None:
    resp = Response(headers={"Content-Language": "en, de"})
    assert list(resp.content_language) == ["en", "de"]
    resp.content_language.add("fr")
    assert resp.headers["Content-Language"] == "en, de, fr"
    assert resp.content_encoding is None
    resp.content_encoding = "gzip"
    assert resp.headers["Content-Encoding"] == "gzip"
    resp.content_encoding = None
    assert "Content-Encoding" not in resp.headers
    resp.accept_ranges = "bytes"
    assert resp.accept_ranges == "bytes"
    resp.accept_ranges = None
    assert resp.accept_ranges is None


def test_content_range() -> None:
    resp, wresp = Response(), WResponse()
    assert resp.content_range is None
    resp.content_range = "bytes 0-9/100"
    wresp.content_range = "bytes 0-9/100"
    cr = resp.content_range
    assert cr is not None
    wcr = wresp.content_range
    assert (cr.units, cr.start, cr.stop, cr.length) == (
        wcr.units,
        wcr.start,
        wcr.stop,
        wcr.length,
    )
    assert (cr.start, cr.stop, cr.length) == (0, 10, 100)
    other = Response()
    other.content_range = cr
    assert other.headers["Content-Range"] == "bytes 0-9/100"
    other.content_range = None
    assert "Content-Range" not in other.headers


def test_cache_control_writes_header_and_removes_when_empty() -> None:
    resp, wresp = Response(), WResponse()
    for r in (resp, wresp):
        r.cache_control.max_age = 10
        r.cache_control.public = True
    assert resp.headers["Cache-Control"] == wresp.headers["Cache-Control"]
    assert resp.headers["Cache-Control"] == "max-age=10, public"
    resp.cache_control.max_age = None
    resp.cache_control.public = False
    assert "Cache-Control" not in resp.headers
    read = Response(headers={"Cache-Control": "no-store, max-age=5"})
    assert read.cache_control.no_store is True
    assert read.cache_control.max_age == 5


def test_etags_match_werkzeug() -> None:
    resp, wresp = Response("hello"), WResponse("hello")
    assert resp.get_etag() == (None, None)
    resp.add_etag()
    wresp.add_etag()
    assert resp.headers["ETag"] == wresp.headers["ETag"]
    first = resp.headers["ETag"]
    resp.add_etag(weak=True)  # already set: unchanged
    assert resp.headers["ETag"] == first
    resp.add_etag(overwrite=True, weak=True)
    assert resp.headers["ETag"] == "W/" + first
    resp.set_etag("abc", weak=True)
    assert resp.headers["ETag"] == 'W/"abc"'
    assert resp.get_etag() == ("abc", True)
    resp.set_etag("xyz")
    assert resp.get_etag() == ("xyz", False)


def test_content_type_mimetype_and_length_properties() -> None:
    resp = Response(mimetype="application/xml")
    assert resp.content_type == "application/xml; charset=utf-8"
    resp.mimetype = "image/png"
    assert resp.content_type == "image/png"
    resp.content_type = "text/html; charset=latin-1"
    assert resp.mimetype == "text/html"
    assert resp.mimetype_params == {"charset": "latin-1"}
    resp.content_type = None
    assert resp.mimetype is None
    resp.content_length = 12
    assert resp.headers["Content-Length"] == "12"
    resp.headers["Content-Length"] = "bogus"
    assert resp.content_length is None
    resp.content_length = None
    assert "Content-Length" not in resp.headers
    resp.location = "/next"
    assert resp.location == "/next"


def test_get_json_force_and_silent() -> None:
    resp = Response("{bad", mimetype="application/json")
    assert resp.get_json(silent=True) is None
    with pytest.raises(ValueError):
        resp.get_json()
    plain = Response('{"a": 1}')
    assert plain.get_json() is None
    assert plain.get_json(force=True) == {"a": 1}
    assert Response("{}", mimetype="application/vnd.api+json").is_json
