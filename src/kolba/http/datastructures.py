"""The containers request and response data live in, with Werkzeug's semantics.

Flask applications reach these through ``request.args``, ``request.form``,
``request.files``, ``request.headers`` and ``response.headers``, so their behaviour
(first value wins, a missing key is a 400, headers are case-insensitive and ordered)
follows ``werkzeug.datastructures``.

Each kind of container lives in its own module (:mod:`kolba.http.immutable`,
:mod:`kolba.http.multidict`, :mod:`kolba.http.callbackdict`, :mod:`kolba.http.headermap`,
:mod:`kolba.http.files`); this module gathers them under the one path Flask users and
the rest of Kolba import from, as ``werkzeug.datastructures`` does. The private
helpers are re-exported too, so code that reached them here keeps working.
"""

from __future__ import annotations

from kolba.http.callbackdict import CallbackDict, UpdateDictMixin
from kolba.http.exceptions import BadRequestKeyError as BadRequestKeyError
from kolba.http.files import FileStorage
from kolba.http.headermap import Headers, ImmutableHeaders
from kolba.http.headermap import T as T
from kolba.http.headermap import _check_name as _check_name
from kolba.http.headermap import _quote as _quote
from kolba.http.headermap import _str_value as _str_value
from kolba.http.headermap import _token_chars as _token_chars
from kolba.http.headermap import _with_options as _with_options
from kolba.http.immutable import ImmutableDict, ImmutableList
from kolba.http.immutable import K as K
from kolba.http.immutable import V as V
from kolba.http.immutable import _immutable_error as _immutable_error
from kolba.http.immutable import _missing as _missing
from kolba.http.multidict import (
    CombinedMultiDict,
    ImmutableMultiDict,
    MultiDict,
    iter_multi_items,
)
from kolba.http.multidict import _dict_get as _dict_get
from kolba.http.multidict import _dict_getitem as _dict_getitem
from kolba.http.multidict import _dict_items as _dict_items
from kolba.http.multidict import _dict_pop as _dict_pop
from kolba.http.multidict import _dict_popitem as _dict_popitem
from kolba.http.multidict import _dict_setitem as _dict_setitem
from kolba.http.multidict import _dict_values as _dict_values

__all__ = [
    "CallbackDict",
    "CombinedMultiDict",
    "FileStorage",
    "Headers",
    "ImmutableDict",
    "ImmutableHeaders",
    "ImmutableList",
    "ImmutableMultiDict",
    "MultiDict",
    "UpdateDictMixin",
    "iter_multi_items",
]
