"""Tests for kolba.http.datastructures, with Werkzeug's classes as the reference."""

from __future__ import annotations

import copy
import io
import pathlib
import pickle
import typing as t

import pytest
import werkzeug.datastructures as wz

from kolba.http.datastructures import (
    CallbackDict,
    CombinedMultiDict,
    FileStorage,
    Headers,
    ImmutableDict,
    ImmutableHeaders,
    ImmutableList,
    ImmutableMultiDict,
    MultiDict,
    UpdateDictMixin,
    iter_multi_items,
)
from kolba.http.exceptions import BadRequest, BadRequestKeyError

PAIRS = [("a", "1"), ("b", "2"), ("a", "3")]


# -- MultiDict -------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        PAIRS,
        {"a": ["1", "3"], "b": "2"},
        {"a": ("1", "3"), "b": ["2"], "empty": []},
        iter(PAIRS),
    ],
)
def test_multidict_constructor_matches_werkzeug(source: t.Any) -> None:
    if not isinstance(source, (list, dict)):
        source = list(source)
    ours = MultiDict(source)
    theirs = wz.MultiDict(source)
    assert repr(ours) == repr(theirs)
    assert list(ours.items(multi=True)) == list(theirs.items(multi=True))
    assert "empty" not in ours


def test_multidict_from_multidict_copies_lists() -> None:
    original = MultiDict(PAIRS)
    clone = MultiDict(original)
    clone.add("a", "4")
    assert original.getlist("a") == ["1", "3"]
    assert clone.getlist("a") == ["1", "3", "4"]
    assert MultiDict(wz.MultiDict(PAIRS)).getlist("a") == ["1", "3"]


def test_multidict_empty_and_set_values() -> None:
    assert MultiDict() == {}
    assert len(MultiDict(None)) == 0
    from_set: MultiDict[str, str] = MultiDict({"s": {"x"}})
    assert from_set.getlist("s") == ["x"]


def test_multidict_getitem_first_value_and_missing_is_400() -> None:
    md = MultiDict(PAIRS)
    assert md["a"] == "1"
    with pytest.raises(BadRequestKeyError) as info:
        md["missing"]
    assert isinstance(info.value, KeyError)
    assert isinstance(info.value, BadRequest)
    assert info.value.args == ("missing",)


def test_multidict_get_with_type() -> None:
    md = MultiDict([("n", "42"), ("bad", "x"), ("none", "1")])
    assert md.get("n") == "42"
    assert md.get("n", type=int) == 42
    assert md.get("bad", -1, type=int) == -1
    assert md.get("bad", type=int) is None
    assert md.get("missing", "d") == "d"
    assert md.get("missing") is None

    def raises_type_error(value: str) -> int:
        raise TypeError(value)

    assert md.get("none", 7, type=raises_type_error) == 7


def test_multidict_getlist_with_type_drops_bad_values() -> None:
    md = MultiDict([("n", "1"), ("n", "x"), ("n", "3")])
    assert md.getlist("n") == ["1", "x", "3"]
    assert md.getlist("n", type=int) == [1, 3]
    assert md.getlist("missing") == []
    md.getlist("n").append("mutating a copy")
    assert md.getlist("n") == ["1", "x", "3"]


def test_multidict_mutators() -> None:
    md: MultiDict[str, str] = MultiDict()
    md.add("a", "1")
    md.add("a", "2")
    assert md.getlist("a") == ["1", "2"]
    md["a"] = "3"
    assert md.getlist("a") == ["3"]
    md.setlist("b", iter(["x", "y"]))
    assert md.getlist("b") == ["x", "y"]
    md.setlist("b", [])
    assert "b" not in md
    assert md.setdefault("a", "zzz") == "3"
    assert md.setdefault("c", "new") == "new"
    assert md.getlist("c") == ["new"]
    stored = md.setlistdefault("d", ["1"])
    stored.append("2")
    assert md.getlist("d") == ["1", "2"]
    assert md.setlistdefault("d") is stored
    del md["d"]
    assert "d" not in md


def test_multidict_views() -> None:
    md = MultiDict(PAIRS)
    assert list(md) == ["a", "b"]
    assert list(md.keys()) == ["a", "b"]
    assert list(md.values()) == ["1", "2"]
    assert list(md.items()) == [("a", "1"), ("b", "2")]
    assert list(md.items(multi=True)) == [("a", "1"), ("a", "3"), ("b", "2")]
    assert list(md.lists()) == [("a", ["1", "3"]), ("b", ["2"])]
    assert list(md.listvalues()) == [["1", "3"], ["2"]]
    assert md.to_dict() == {"a": "1", "b": "2"}
    assert md.to_dict(flat=False) == {"a": ["1", "3"], "b": ["2"]}
    assert dict(md) == {"a": "1", "b": "2"}
    assert dict(md) == dict(wz.MultiDict(PAIRS))
    assert "a" in md
    assert "z" not in md
    assert len(md) == 2


def test_multidict_update_extends_like_werkzeug() -> None:
    ours = MultiDict({"x": "1"})
    theirs = wz.MultiDict({"x": "1"})
    for arg in (MultiDict({"x": "2", "y": "3"}), {"x": ["4", "5"], "e": []}, [("z", "6")]):
        ours.update(arg)
        theirs.update(arg)
    assert list(ours.items(multi=True)) == list(theirs.items(multi=True))
    ours.update(k="v")
    assert ours.getlist("k") == ["v"]


def test_multidict_or_operators() -> None:
    md = MultiDict({"a": "1"})
    merged = md | {"a": "2"}
    assert merged.getlist("a") == ["1", "2"]
    assert md.getlist("a") == ["1"]
    md |= [("b", "3")]
    assert md.getlist("b") == ["3"]
    with pytest.raises(TypeError):
        md | 5


def test_multidict_pop_family() -> None:
    md = MultiDict(PAIRS)
    assert md.pop("a") == "1"
    assert "a" not in md
    assert md.pop("a", "default") == "default"
    with pytest.raises(BadRequestKeyError):
        md.pop("a")
    assert md.poplist("b") == ["2"]
    assert md.poplist("b") == []
    md = MultiDict(PAIRS)
    assert md.popitem() == ("b", "2")
    assert md.popitemlist() == ("a", ["1", "3"])
    with pytest.raises(BadRequestKeyError):
        md.popitem()
    with pytest.raises(BadRequestKeyError):
        md.popitemlist()


def test_multidict_copy_deepcopy_pickle() -> None:
    inner = ["mutable"]
    md = MultiDict([("a", inner), ("a", "2")])
    shallow = md.copy()
    assert shallow.getlist("a")[0] is inner
    shallow.add("a", "3")
    assert len(md.getlist("a")) == 2
    deep = md.deepcopy()
    assert deep.getlist("a")[0] == inner
    assert deep.getlist("a")[0] is not inner
    assert copy.deepcopy(md).getlist("a")[0] is not inner
    assert copy.copy(md) == md
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        restored = pickle.loads(pickle.dumps(md, protocol))
        assert type(restored) is MultiDict
        assert list(restored.items(multi=True)) == list(md.items(multi=True))


def test_multidict_equality_like_werkzeug() -> None:
    assert MultiDict(PAIRS) == MultiDict(PAIRS)
    assert MultiDict(PAIRS) != MultiDict([("a", "1"), ("b", "2")])
    assert (MultiDict(PAIRS) == wz.MultiDict(PAIRS)) is True
    assert (MultiDict({"a": "b"}) == {"a": "b"}) == (wz.MultiDict({"a": "b"}) == {"a": "b"})


def test_multidict_subclass_copy_keeps_type() -> None:
    class Sub(MultiDict[str, str]):
        pass

    assert type(Sub(PAIRS).copy()) is Sub


def test_iter_multi_items() -> None:
    assert list(iter_multi_items(MultiDict(PAIRS))) == [("a", "1"), ("a", "3"), ("b", "2")]
    assert list(iter_multi_items({"a": ["1", "2"], "b": "3"})) == [
        ("a", "1"),
        ("a", "2"),
        ("b", "3"),
    ]
    assert list(iter_multi_items([("x", "y")])) == [("x", "y")]


# -- ImmutableMultiDict and CombinedMultiDict ------------------------------------


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d.__setitem__("a", "x"),
        lambda d: d.__delitem__("a"),
        lambda d: d.add("a", "x"),
        lambda d: d.setlist("a", ["x"]),
        lambda d: d.setdefault("a", "x"),
        lambda d: d.setlistdefault("a", ["x"]),
        lambda d: d.update({"a": "x"}),
        lambda d: d.pop("a"),
        lambda d: d.popitem(),
        lambda d: d.poplist("a"),
        lambda d: d.popitemlist(),
        lambda d: d.clear(),
        lambda d: d.__ior__({"a": "x"}),
    ],
)
@pytest.mark.parametrize("cls", [ImmutableMultiDict, CombinedMultiDict])
def test_immutable_multidicts_refuse_mutation(mutate: t.Any, cls: t.Any) -> None:
    d = cls(PAIRS) if cls is ImmutableMultiDict else cls([MultiDict(PAIRS)])
    with pytest.raises(TypeError, match="immutable"):
        mutate(d)
    assert d.getlist("a") == ["1", "3"]


def test_immutable_multidict_hash_copy_pickle() -> None:
    imd = ImmutableMultiDict(PAIRS)
    assert hash(imd) == hash(ImmutableMultiDict(PAIRS))
    assert {imd: 1}[ImmutableMultiDict(PAIRS)] == 1
    mutable = imd.copy()
    assert type(mutable) is MultiDict
    mutable.add("a", "9")
    assert imd.getlist("a") == ["1", "3"]
    assert copy.copy(imd) is imd
    restored = pickle.loads(pickle.dumps(imd))
    assert type(restored) is ImmutableMultiDict
    assert restored == imd
    assert repr(imd) == repr(wz.ImmutableMultiDict(PAIRS))


def test_combined_multidict_reads_through() -> None:
    args = MultiDict([("a", "1"), ("x", "n")])
    form = MultiDict([("a", "2"), ("b", "3")])
    combined = CombinedMultiDict([args, form])
    reference = wz.CombinedMultiDict([wz.MultiDict(args), wz.MultiDict(form)])
    assert combined["a"] == "1"
    assert combined["b"] == "3"
    assert combined.getlist("a") == ["1", "2"]
    assert combined.getlist("a") == reference.getlist("a")
    assert combined.get("x", type=int) is None
    assert combined.get("missing", "d") == "d"
    assert combined.get("b", type=int) == 3
    assert set(combined) == {"a", "x", "b"}
    assert list(combined) == ["a", "x", "b"]
    assert len(combined) == 3
    assert "b" in combined
    assert "nope" not in combined
    assert list(combined.items()) == [("a", "1"), ("x", "n"), ("b", "3")]
    reference_items: list[t.Any] = list(reference.items(multi=True))
    assert list(combined.items(multi=True)) == reference_items
    assert list(combined.values()) == ["1", "n", "3"]
    assert dict(combined.lists()) == dict(reference.lists())
    assert list(combined.listvalues()) == [["1", "2"], ["n"], ["3"]]
    assert combined.to_dict() == reference.to_dict()
    assert combined.to_dict(flat=False) == reference.to_dict(flat=False)
    assert list(combined.keys()) == ["a", "x", "b"]
    with pytest.raises(BadRequestKeyError):
        combined["missing"]
    form.add("late", "yes")
    assert combined["late"] == "yes"


def test_combined_multidict_get_skips_unconvertible() -> None:
    combined = CombinedMultiDict([MultiDict({"n": "x"}), MultiDict({"n": "5"})])
    assert combined.get("n", type=int) == 5


def test_combined_multidict_copy_eq_hash_pickle_bool() -> None:
    combined = CombinedMultiDict([MultiDict(PAIRS), MultiDict({"c": "4"})])
    snapshot = combined.copy()
    assert type(snapshot) is MultiDict
    assert snapshot.getlist("a") == ["1", "3"]
    assert combined == CombinedMultiDict([MultiDict(PAIRS), MultiDict({"c": "4"})])
    assert combined != CombinedMultiDict([MultiDict(PAIRS)])
    assert combined == MultiDict([*PAIRS, ("c", "4")])
    assert (combined == 5) is False
    assert isinstance(hash(combined), int)
    restored = pickle.loads(pickle.dumps(combined))
    assert restored.getlist("a") == ["1", "3"]
    assert bool(combined) is True
    assert bool(CombinedMultiDict([MultiDict()])) is False
    assert bool(CombinedMultiDict()) is False
    assert repr(CombinedMultiDict([MultiDict({"a": "1"})])) == (
        "CombinedMultiDict([MultiDict([('a', '1')])])"
    )


# -- ImmutableDict and ImmutableList ---------------------------------------------


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d.__setitem__("a", 1),
        lambda d: d.__delitem__("a"),
        lambda d: d.__ior__({"b": 1}),
        lambda d: d.setdefault("a", 1),
        lambda d: d.update({"b": 1}),
        lambda d: d.pop("a"),
        lambda d: d.popitem(),
        lambda d: d.clear(),
    ],
)
def test_immutable_dict_refuses_mutation(mutate: t.Any) -> None:
    d = ImmutableDict({"a": 1})
    with pytest.raises(TypeError, match="'ImmutableDict' objects are immutable"):
        mutate(d)
    assert d == {"a": 1}


def test_immutable_dict_extras() -> None:
    d = ImmutableDict({"a": 1})
    assert hash(d) == hash(ImmutableDict({"a": 1}))
    assert type(d.copy()) is dict
    assert copy.copy(d) is d
    assert repr(d) == repr(wz.ImmutableDict({"a": 1}))
    assert pickle.loads(pickle.dumps(d)) == d


@pytest.mark.parametrize(
    "mutate",
    [
        lambda x: x.__setitem__(0, 1),
        lambda x: x.__delitem__(0),
        lambda x: x.__iadd__([1]),
        lambda x: x.__imul__(2),
        lambda x: x.append(1),
        lambda x: x.remove(1),
        lambda x: x.extend([1]),
        lambda x: x.insert(0, 1),
        lambda x: x.pop(),
        lambda x: x.clear(),
        lambda x: x.reverse(),
        lambda x: x.sort(),
    ],
)
def test_immutable_list_refuses_mutation(mutate: t.Any) -> None:
    items = ImmutableList([1, 2])
    with pytest.raises(TypeError, match="immutable"):
        mutate(items)
    assert items == [1, 2]


def test_immutable_list_extras() -> None:
    items = ImmutableList([1, 2])
    assert hash(items) == hash(ImmutableList([1, 2]))
    assert repr(items) == repr(wz.ImmutableList([1, 2])) == "ImmutableList([1, 2])"
    assert pickle.loads(pickle.dumps(items)) == items
    assert items + [3] == [1, 2, 3]


# -- CallbackDict ----------------------------------------------------------------


def test_callback_dict_reports_each_change() -> None:
    seen: list[dict[str, int]] = []
    d: CallbackDict[str, int] = CallbackDict({"a": 1}, lambda d: seen.append(dict(d)))
    assert seen == []
    d["b"] = 2
    del d["a"]
    d.setdefault("b", 9)
    d.setdefault("c", 3)
    d.pop("zzz", None)
    assert d.pop("c") == 3
    d.update({"x": 1})
    d.update(y=2)
    d |= {"z": 3}
    assert d.popitem() == ("z", 3)
    d.clear()
    assert seen == [
        {"a": 1, "b": 2},
        {"b": 2},
        {"b": 2, "c": 3},
        {"b": 2},
        {"b": 2, "x": 1},
        {"b": 2, "x": 1, "y": 2},
        {"b": 2, "x": 1, "y": 2, "z": 3},
        {"b": 2, "x": 1, "y": 2},
        {},
    ]


def test_callback_dict_without_callback_and_repr() -> None:
    d: CallbackDict[str, int] = CallbackDict()
    d["a"] = 1
    assert d == {"a": 1}
    assert repr(d) == "<CallbackDict {'a': 1}>"
    assert repr(d) == repr(wz.CallbackDict({"a": 1}))
    with pytest.raises(KeyError):
        d.pop("missing")


def test_update_dict_mixin_subclass() -> None:
    class Session(UpdateDictMixin[str, str]):
        modified = False

        def __init__(self) -> None:
            super().__init__()

            def mark(s: t.Any) -> None:
                s.modified = True

            self.on_update = mark

    s = Session()
    assert s.modified is False
    s["k"] = "v"
    assert s.modified is True


# -- Headers ---------------------------------------------------------------------

HEADER_PAIRS = [("Content-Type", "text/html"), ("X-Multi", "1"), ("x-multi", "2")]


def test_headers_basic_access() -> None:
    h = Headers(HEADER_PAIRS)
    assert h["content-type"] == "text/html"
    assert h["X-MULTI"] == "1"
    assert h[0] == ("Content-Type", "text/html")
    assert h[-1] == ("x-multi", "2")
    sliced = h[1:]
    assert isinstance(sliced, Headers)
    assert list(sliced) == HEADER_PAIRS[1:]
    with pytest.raises(BadRequestKeyError):
        h["missing"]
    with pytest.raises(BadRequestKeyError):
        h[1.5]  # type: ignore[call-overload]
    assert len(h) == 3
    assert list(h) == HEADER_PAIRS
    assert "CONTENT-TYPE" in h
    assert "Nope" not in h
    assert 3 not in h


def test_headers_get_and_getlist() -> None:
    h = Headers([("Content-Length", "42"), ("X-N", "1"), ("x-n", "bad"), ("X-N", "3")])
    assert h.get("content-length", type=int) == 42
    assert h.get("missing") is None
    assert h.get("missing", "d") == "d"
    assert h.get("x-n", type=float) == 1.0
    assert Headers([("A", "x")]).get("a", -1, type=int) == -1
    assert h.getlist("x-n") == ["1", "bad", "3"]
    assert h.getlist("X-N", type=int) == [1, 3]
    assert h.getlist("missing") == []
    assert h.get_all("x-n") == ["1", "bad", "3"]


def test_headers_iteration_views() -> None:
    h = Headers(HEADER_PAIRS)
    assert list(h.items()) == HEADER_PAIRS
    assert list(h.items(lower=True)) == [(k.lower(), v) for k, v in HEADER_PAIRS]
    assert list(h.keys()) == ["Content-Type", "X-Multi", "x-multi"]
    assert list(h.keys(lower=True)) == ["content-type", "x-multi", "x-multi"]
    assert list(h.values()) == ["text/html", "1", "2"]
    assert h.to_wsgi_list() == HEADER_PAIRS
    assert h.to_wsgi_list() is not h.to_wsgi_list()


def test_headers_add_with_options_matches_werkzeug() -> None:
    cases: list[tuple[str, dict[str, t.Any]]] = [
        ("attachment", {"filename": "foo.png"}),
        ("attachment", {"filename": "with space.txt"}),
        ("attachment", {"filename": 'q"uo\\te'}),
        ("attachment", {"filename": ""}),
        ("attachment", {"filename_": "x", "skip": None}),
        ("attachment", {"filename*": "UTF-8''%E2%82%AC"}),
        ("text/plain", {"charset": "utf-8"}),
    ]
    for value, options in cases:
        ours = Headers()
        theirs = wz.Headers()
        ours.add("Content-Disposition", value, **options)
        theirs.add("Content-Disposition", value, **options)
        assert ours.to_wsgi_list() == theirs.to_wsgi_list(), options
    h = Headers()
    h.add_header("Content-Disposition", "attachment", filename="a b")
    assert h["Content-Disposition"] == 'attachment; filename="a b"'


def test_headers_values_are_strings() -> None:
    h = Headers()
    h.add("Content-Length", 42)
    h["X-Float"] = 1.5
    assert h["Content-Length"] == "42"
    assert h["X-Float"] == "1.5"
    assert Headers({"X": 1})["X"] == "1"


def test_headers_set_keeps_first_position_like_werkzeug() -> None:
    pairs = [("A", "1"), ("B", "2"), ("a", "3"), ("C", "4"), ("A", "5")]
    ours = Headers(pairs)
    theirs = wz.Headers(pairs)
    ours.set("a", "new")
    theirs.set("a", "new")
    assert (
        ours.to_wsgi_list()
        == theirs.to_wsgi_list()
        == [
            ("a", "new"),
            ("B", "2"),
            ("C", "4"),
        ]
    )
    ours.set("D", "end", q="1")
    assert ours.to_wsgi_list()[-1] == ("D", "end; q=1")
    empty = Headers()
    empty["X"] = "y"
    assert list(empty) == [("X", "y")]


def test_headers_setitem_index_and_slice() -> None:
    h = Headers([("A", "1"), ("B", "2")])
    h[0] = ("Z", 9)
    assert h[0] == ("Z", "9")
    h[1:] = [("Y", 8), ("W", "7")]
    assert list(h) == [("Z", "9"), ("Y", "8"), ("W", "7")]
    with pytest.raises(ValueError):
        h[0] = ("Z", "a\nb")
    with pytest.raises(ValueError):
        h[0:1] = [("Bad\r", "x")]


def test_headers_setlist_setdefault_setlistdefault() -> None:
    h = Headers([("A", "1"), ("B", "2"), ("a", "3")])
    h.setlist("a", ["x", "y"])
    assert list(h) == [("a", "x"), ("B", "2"), ("a", "y")]
    h.setlist("a", iter([]))
    assert "a" not in h
    h.setlist("G", (v for v in ["1", "2"]))
    assert h.getlist("g") == ["1", "2"]
    assert h.setdefault("b", "new") == "2"
    assert h.setdefault("C", 5) == "5"
    assert h["c"] == "5"
    assert h.setlistdefault("b", ["z"]) == ["2"]
    assert h.setlistdefault("D", ["1", "2"]) == ["1", "2"]
    assert h.getlist("d") == ["1", "2"]


def test_headers_extend_and_update() -> None:
    h = Headers([("A", "1")])
    h.extend({"A": "2", "B": ["3", "4"]}, C="5")
    assert list(h) == [("A", "1"), ("A", "2"), ("B", "3"), ("B", "4"), ("C", "5")]
    h.extend(MultiDict([("D", "6")]))
    h.extend(Headers([("E", "7")]))
    assert h["e"] == "7"
    u = Headers([("A", "1"), ("B", "2"), ("a", "3")])
    u.update({"a": "x", "c": ["1", "2"]}, d="k", e=("m", "n"))
    assert list(u) == [
        ("a", "x"),
        ("B", "2"),
        ("c", "1"),
        ("c", "2"),
        ("d", "k"),
        ("e", "m"),
        ("e", "n"),
    ]
    u.update(Headers([("B", "9"), ("b", "10")]))
    assert u.getlist("b") == ["9", "10"]
    u.update([("d", "1"), ("d", "2")])
    assert u.getlist("d") == ["2"]
    theirs = wz.Headers([("A", "1"), ("B", "2"), ("a", "3")])
    ours = Headers([("A", "1"), ("B", "2"), ("a", "3")])
    theirs.update({"a": "x", "c": ["1", "2"]})
    ours.update({"a": "x", "c": ["1", "2"]})
    assert ours.to_wsgi_list() == theirs.to_wsgi_list()


def test_headers_or_operators() -> None:
    h = Headers([("A", "1")])
    merged = h | {"A": "2", "B": "3"}
    assert list(merged) == [("A", "2"), ("B", "3")]
    assert list(h) == [("A", "1")]
    h |= [("C", "4")]
    assert h["c"] == "4"
    with pytest.raises(TypeError):
        h | 5


def test_headers_removal() -> None:
    h = Headers([("A", "1"), ("B", "2"), ("a", "3"), ("C", "4")])
    h.remove("A")
    assert list(h) == [("B", "2"), ("C", "4")]
    h.remove("missing")
    del h["b"]
    assert list(h) == [("C", "4")]
    h.extend([("D", "5"), ("E", "6"), ("F", "7")])
    del h[0]
    assert h[0] == ("D", "5")
    assert h.pop() == ("F", "7")
    assert h.pop(0) == ("D", "5")
    h.add("x", "1")
    h.add("X", "2")
    assert h.pop("x") == "1"
    assert "x" not in h
    assert h.pop("x", "dflt") == "dflt"
    with pytest.raises(BadRequestKeyError):
        h.pop("x")
    assert h.popitem() == ("E", "6")
    h.add("Z", "1")
    h.clear()
    assert len(h) == 0


def test_headers_eq_copy_str_repr() -> None:
    a = Headers([("A", "1"), ("B", "2")])
    b = Headers([("b", "2"), ("a", "1")])
    assert a == b
    assert a != Headers([("A", "2"), ("B", "2")])
    assert (a == [("A", "1"), ("B", "2")]) is False
    assert (a == ImmutableHeaders(list(a))) is False
    with pytest.raises(TypeError):
        hash(a)
    c = a.copy()
    c.add("C", "3")
    assert len(a) == 2
    assert copy.copy(a) == a
    pairs = [("Content-Type", "text/html"), ("X", "1")]
    assert str(Headers(pairs)) == str(wz.Headers(pairs))
    assert str(Headers(pairs)) == "Content-Type: text/html\r\nX: 1\r\n\r\n"
    assert repr(Headers(pairs)) == repr(wz.Headers(pairs))


@pytest.mark.parametrize("bad", ["a\rb", "a\nb", "a\r\nSet-Cookie: x=1", "a\x00b"])
def test_headers_refuse_control_characters_everywhere(bad: str) -> None:
    operations: list[t.Callable[[Headers], object]] = [
        lambda h: h.add("X", bad),
        lambda h: h.add(bad, "v"),
        lambda h: h.add("X", "v", filename=bad),
        lambda h: h.add_header("X", bad),
        lambda h: h.set("X", bad),
        lambda h: h.set(bad, "v"),
        lambda h: h.__setitem__("X", bad),
        lambda h: h.setlist("X", ["ok", bad]),
        lambda h: h.setdefault("Y", bad),
        lambda h: h.setlistdefault("Y", [bad]),
        lambda h: h.extend({"X": bad}),
        lambda h: h.update({"X": bad}),
        lambda h: h.update(X=bad),
        lambda h: Headers([("X", bad)]),
    ]
    for operation in operations:
        h = Headers([("Keep", "me")])
        with pytest.raises(ValueError, match="must not contain newline characters"):
            operation(h)
        assert h.get("X") in (None, "ok")
        assert "Y" not in h


def test_headers_refuse_non_str_names() -> None:
    with pytest.raises(TypeError):
        Headers().add(t.cast(t.Any, b"X"), "v")


def test_headers_from_trusted_wraps_without_copy() -> None:
    pairs = [("Host", "example.com")]
    h = Headers._from_trusted(pairs)
    assert type(h) is Headers
    assert h["host"] == "example.com"
    h.add("X", "1")
    assert pairs[-1] == ("X", "1")
    imm = ImmutableHeaders._from_trusted([("A", "1")])
    assert type(imm) is ImmutableHeaders
    assert imm["a"] == "1"


def test_headers_set_trusted() -> None:
    h = Headers([("Content-Length", "1"), ("X", "y"), ("content-length", "2")])
    h._set_trusted("Content-Length", "10")
    assert list(h) == [("Content-Length", "10"), ("X", "y")]
    h._set_trusted("New", "v")
    assert h[-1] == ("New", "v")


def test_headers_have_slots() -> None:
    with pytest.raises(AttributeError):
        Headers().anything = 1  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "mutate",
    [
        lambda h: h.__setitem__("A", "x"),
        lambda h: h.__delitem__("A"),
        lambda h: h.__ior__({"A": "x"}),
        lambda h: h.add("A", "x"),
        lambda h: h.add_header("A", "x"),
        lambda h: h.set("A", "x"),
        lambda h: h.setlist("A", ["x"]),
        lambda h: h.setdefault("A", "x"),
        lambda h: h.setlistdefault("A", ["x"]),
        lambda h: h.extend({"A": "x"}),
        lambda h: h.update({"A": "x"}),
        lambda h: h.remove("A"),
        lambda h: h.pop(),
        lambda h: h.popitem(),
        lambda h: h.clear(),
    ],
)
def test_immutable_headers_refuse_mutation(mutate: t.Any) -> None:
    h = ImmutableHeaders([("A", "1")])
    with pytest.raises(TypeError, match="'ImmutableHeaders' objects are immutable"):
        mutate(h)
    assert list(h) == [("A", "1")]


def test_immutable_headers_copy_is_mutable() -> None:
    h = ImmutableHeaders([("A", "1")])
    c = h.copy()
    assert type(c) is Headers
    c.add("B", "2")
    assert len(h) == 1
    merged = h | {"B": "2"}
    assert type(merged) is Headers
    assert list(merged) == [("A", "1"), ("B", "2")]
    with pytest.raises(TypeError):
        h | 3


# -- FileStorage -----------------------------------------------------------------


def test_file_storage_attributes_and_repr() -> None:
    fs = FileStorage(
        io.BytesIO(b"hello"),
        filename="a.txt",
        name="upload",
        content_type="Text/Plain; charset=UTF-8",
        content_length=5,
    )
    ref = wz.FileStorage(
        io.BytesIO(b"hello"),
        filename="a.txt",
        name="upload",
        content_type="Text/Plain; charset=UTF-8",
        content_length=5,
    )
    assert fs.filename == "a.txt"
    assert fs.name == "upload"
    assert fs.content_type == "Text/Plain; charset=UTF-8"
    assert fs.mimetype == ref.mimetype == "text/plain"
    assert fs.mimetype_params == ref.mimetype_params == {"charset": "UTF-8"}
    assert fs.content_length == ref.content_length == 5
    assert fs.headers["Content-Length"] == "5"
    assert repr(fs) == repr(ref) == "<FileStorage: 'a.txt' ('Text/Plain; charset=UTF-8')>"
    assert bool(fs) is True
    assert fs.read() == b"hello"
    fs.seek(0)
    assert list(fs) == [b"hello"]


def test_file_storage_defaults() -> None:
    fs = FileStorage()
    assert fs.filename is None
    assert fs.content_type is None
    assert fs.mimetype == ""
    assert fs.mimetype_params == {}
    assert fs.content_length == 0
    assert bool(fs) is False
    assert fs.read() == b""
    assert repr(fs) == repr(wz.FileStorage())


@pytest.mark.parametrize("raw", ["abc", "-1", "+5", "1_0", "٣", ""])
def test_file_storage_bad_content_length_is_zero(raw: str) -> None:
    fs = FileStorage(headers=Headers([("Content-Length", raw)]))
    assert fs.content_length == 0
    assert wz.FileStorage(headers=wz.Headers([("Content-Length", raw)])).content_length in (0, -1)


def test_file_storage_filename_from_stream(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "data.bin"
    path.write_bytes(b"xyz")
    with open(path, "rb") as stream:
        fs = FileStorage(stream)
        assert fs.filename == str(path)
    with open(path, "rb") as stream:
        assert FileStorage(stream, filename=pathlib.Path("given.txt")).filename == "given.txt"

    class Special(io.BytesIO):
        name = "<stdin>"

    assert FileStorage(Special(b"")).filename is None


def test_file_storage_save_to_path_and_file(tmp_path: pathlib.Path) -> None:
    fs = FileStorage(io.BytesIO(b"payload" * 10000), filename="p.bin")
    target = tmp_path / "out.bin"
    fs.save(target, buffer_size=1024)
    assert target.read_bytes() == b"payload" * 10000
    fs.stream.seek(0)
    fs.save(str(tmp_path / "out2.bin"))
    assert (tmp_path / "out2.bin").read_bytes() == b"payload" * 10000
    fs.stream.seek(0)
    sink = io.BytesIO()
    fs.save(sink)
    assert sink.getvalue() == b"payload" * 10000
    assert not sink.closed


def test_file_storage_close_and_delegation() -> None:
    stream = io.BytesIO(b"data")
    fs = FileStorage(stream)
    assert fs.getvalue() == b"data"
    with pytest.raises(AttributeError):
        fs.no_such_attribute  # noqa: B018
    fs.close()
    assert stream.closed
    fs.close()

    class Broken(io.BytesIO):
        def close(self) -> None:
            raise OSError("cannot")

    FileStorage(Broken()).close()


def test_file_storage_allows_user_attributes_and_shares_headers() -> None:
    headers = Headers([("Content-Type", "image/png")])
    fs = FileStorage(headers=headers)
    fs.custom = "ok"  # type: ignore[attr-defined]
    assert fs.custom == "ok"
    assert fs.headers is headers
    assert fs.mimetype == "image/png"


def test_file_storage_half_built_does_not_recurse() -> None:
    fs = FileStorage.__new__(FileStorage)
    with pytest.raises(AttributeError):
        fs.read  # noqa: B018


def test_edge_cases_of_empty_lists_and_operators() -> None:
    md: MultiDict[str, str] = MultiDict()
    md.setlistdefault("empty")
    assert "empty" in md
    with pytest.raises(BadRequestKeyError):
        md["empty"]
    assert md.get("empty", "d") == "d"
    assert list(md.items()) == []
    assert list(md.values()) == []
    assert md.to_dict() == {}
    assert md.to_dict(flat=False) == {"empty": []}
    with pytest.raises(BadRequestKeyError):
        md.pop("empty")
    md.setlistdefault("again")
    with pytest.raises(BadRequestKeyError):
        md.popitem()
    with pytest.raises(TypeError):
        md |= 5
    h = Headers()
    with pytest.raises(TypeError):
        h |= 5
    combined = CombinedMultiDict([MultiDict({"a": "1"})])
    assert combined.get("a") == "1"
    assert (combined != 5) is True
    assert list(iter_multi_items(wz.MultiDict(PAIRS))) == [("a", "1"), ("a", "3"), ("b", "2")]
