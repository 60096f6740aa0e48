"""HTTP status codes, their reason phrases, and the status lines sent on the wire.

The phrases are the ones Werkzeug uses, so that ``response.status`` and the bytes a
client sees are the same as under Flask.
"""

from __future__ import annotations

__all__ = ["HTTP_STATUS_CODES", "status_line"]

HTTP_STATUS_CODES: dict[int, str] = {
    100: "Continue",
    101: "Switching Protocols",
    102: "Processing",
    103: "Early Hints",  # RFC 8297
    200: "OK",
    201: "Created",
    202: "Accepted",
    203: "Non Authoritative Information",
    204: "No Content",
    205: "Reset Content",
    206: "Partial Content",
    207: "Multi Status",
    208: "Already Reported",  # RFC 5842
    226: "IM Used",  # RFC 3229
    300: "Multiple Choices",
    301: "Moved Permanently",
    302: "Found",
    303: "See Other",
    304: "Not Modified",
    305: "Use Proxy",
    306: "Switch Proxy",  # unused
    307: "Temporary Redirect",
    308: "Permanent Redirect",
    400: "Bad Request",
    401: "Unauthorized",
    402: "Payment Required",  # unused
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    407: "Proxy Authentication Required",
    408: "Request Timeout",
    409: "Conflict",
    410: "Gone",
    411: "Length Required",
    412: "Precondition Failed",
    413: "Request Entity Too Large",
    414: "Request URI Too Long",
    415: "Unsupported Media Type",
    416: "Requested Range Not Satisfiable",
    417: "Expectation Failed",
    418: "I'm a teapot",  # RFC 2324
    421: "Misdirected Request",  # RFC 7540
    422: "Unprocessable Entity",
    423: "Locked",
    424: "Failed Dependency",
    425: "Too Early",  # RFC 8470
    426: "Upgrade Required",
    428: "Precondition Required",  # RFC 6585
    429: "Too Many Requests",
    431: "Request Header Fields Too Large",
    449: "Retry With",  # proprietary Microsoft extension
    451: "Unavailable For Legal Reasons",
    500: "Internal Server Error",
    501: "Not Implemented",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
    505: "HTTP Version Not Supported",
    506: "Variant Also Negotiates",  # RFC 2295
    507: "Insufficient Storage",
    508: "Loop Detected",  # RFC 5842
    510: "Not Extended",
    511: "Network Authentication Failed",
}

# PERF: every response needs its status line; building it once per code turns the
# per-response cost into a single dict lookup.
_STATUS_LINES: dict[int, str] = {
    code: f"{code} {phrase.upper()}" for code, phrase in HTTP_STATUS_CODES.items()
}


def status_line(code: int) -> str:
    """Return the status line for ``code`` exactly as Werkzeug puts it on the wire.

    Werkzeug upper-cases the reason phrase, and calls a code it does not know
    ``UNKNOWN`` rather than refusing it, so applications may send private codes.
    Unknown codes are not cached, so a client cannot grow the cache.

    :param code: the numeric status; an :class:`http.HTTPStatus` works too.
    """
    try:
        return _STATUS_LINES[code]
    except KeyError:
        return f"{int(code)} UNKNOWN"
