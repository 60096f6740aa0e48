"""Parsing and formatting of structured HTTP header values.

Everything here is a pure function or a small value class with no knowledge of WSGI or of the
application, matching the behaviour Flask users see through ``werkzeug.http`` and
``werkzeug.datastructures``. Parsers take hostile input: they do bounded, linear work, never
raise on bad syntax, and return ``None`` or an empty value instead.

Each typed header lives in its own module (:mod:`kolba.http.header_values` for the shared
grammar, :mod:`kolba.http.auth`, :mod:`kolba.http.cache_control`, :mod:`kolba.http.accept`,
:mod:`kolba.http.user_agent`, :mod:`kolba.http.conditional`); this module gathers them under
the one path the rest of Kolba imports from. The private helpers are re-exported too, so code
that reached them here keeps working.
"""

from __future__ import annotations

from .accept import _A as _A
from .accept import (
    Accept,
    CharsetAccept,
    LanguageAccept,
    MIMEAccept,
    parse_accept_header,
)
from .accept import _locale_delim_re as _locale_delim_re
from .accept import _mime_split_re as _mime_split_re
from .accept import _normalize_charset as _normalize_charset
from .accept import _q_value_re as _q_value_re
from .auth import Authorization, WWWAuthenticate
from .cache_control import _CC as _CC
from .cache_control import _T as _T
from .cache_control import (
    RequestCacheControl,
    ResponseCacheControl,
    parse_cache_control_header,
)
from .cache_control import _CacheControl as _CacheControl
from .cache_control import cache_control_property as cache_control_property
from .conditional import (
    ContentRange,
    ETags,
    IfRange,
    Range,
    generate_etag,
    is_byte_range_valid,
    parse_content_range_header,
    parse_etags,
    parse_if_range_header,
    parse_range_header,
    quote_etag,
    unquote_etag,
)
from .header_values import _SAFE_CHARSETS as _SAFE_CHARSETS
from .header_values import _TOKEN_CHARS as _TOKEN_CHARS
from .header_values import (
    HeaderSet,
    dump_header,
    dump_options_header,
    parse_dict_header,
    parse_list_header,
    parse_options_header,
    parse_set_header,
    quote_header_value,
    unquote_header_value,
)
from .header_values import _charset_value_re as _charset_value_re
from .header_values import _continuation_re as _continuation_re
from .header_values import _decode_rfc2231 as _decode_rfc2231
from .header_values import _param_key_re as _param_key_re
from .header_values import _param_token_re as _param_token_re
from .header_values import _unslash_re as _unslash_re
from .header_values import _UpdateDict as _UpdateDict
from .header_values import find_closing_quote as find_closing_quote
from .user_agent import UserAgent

__all__ = [
    "Accept",
    "Authorization",
    "CharsetAccept",
    "ContentRange",
    "ETags",
    "HeaderSet",
    "IfRange",
    "LanguageAccept",
    "MIMEAccept",
    "Range",
    "RequestCacheControl",
    "ResponseCacheControl",
    "UserAgent",
    "WWWAuthenticate",
    "dump_header",
    "dump_options_header",
    "generate_etag",
    "is_byte_range_valid",
    "parse_accept_header",
    "parse_cache_control_header",
    "parse_content_range_header",
    "parse_dict_header",
    "parse_etags",
    "parse_if_range_header",
    "parse_list_header",
    "parse_options_header",
    "parse_range_header",
    "parse_set_header",
    "quote_etag",
    "quote_header_value",
    "unquote_etag",
    "unquote_header_value",
]
