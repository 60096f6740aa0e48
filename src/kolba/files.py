"""Sending files: :func:`send_file`, :func:`send_from_directory` and :func:`safe_join`.

Flask's behaviour (headers, ETags, caching, conditional and range requests) on Kolba's own
HTTP layer. The body is read from the file in blocks as the server sends it, and the file
is closed when the server closes the body, so large files never sit in memory and an
abandoned download leaks no handle.
"""

from __future__ import annotations

import io
import mimetypes
import ntpath
import os
import posixpath
import re
import time
import typing as t
import unicodedata
import zlib
from datetime import datetime, timedelta
from urllib.parse import quote

from .globals import current_app, request
from .http.datastructures import Headers
from .http.exceptions import NotFound, RequestedRangeNotSatisfiable

if t.TYPE_CHECKING:  # pragma: no cover
    from .wrappers import Response

__all__ = ["FileWrapper", "safe_join", "send_file", "send_from_directory"]

#: Names Windows maps to devices whatever the folder and extension (``CON``, ``nul.txt``).
#: Refused on every OS: an app developed on Linux may be deployed on Windows.
_windows_device_names = frozenset(
    ["AUX", "CON", "CONIN$", "CONOUT$", "NUL", "PRN", "CLOCK$"]
    + [f"{name}{n}" for name in ("COM", "LPT") for n in [*"0123456789", "¹", "²", "³"]]
)
_drive_re = re.compile(r"[A-Za-z]:")
# Characters that must never reach a header from a download name.
_control_re = re.compile(r"[\x00-\x1f\x7f]")
#: RFC 5987 ``attr-char`` beyond letters and digits: what may stay unencoded in ``filename*``.
_attr_chars = "!#$&+-.^_`|~"


class FileWrapper:
    """Iterate a binary file in blocks, and close it when the server closes the body.

    It can seek, so a range response jumps to the bytes it needs instead of reading the
    file from the start.

    :param file: A binary file object.
    :param buffer_size: Bytes read per block.
    """

    __slots__ = ("file", "buffer_size")

    # PERF: 64 KiB blocks (Werkzeug: 8 KiB) mean 8 times fewer Python iterations per
    # megabyte; a block is still small enough to keep memory flat per download.
    def __init__(self, file: t.IO[bytes], buffer_size: int = 64 * 1024) -> None:
        self.file = file
        self.buffer_size = buffer_size

    def close(self) -> None:
        self.file.close()

    def seekable(self) -> bool:
        seekable = getattr(self.file, "seekable", None)
        if seekable is not None:
            return bool(seekable())
        return hasattr(self.file, "seek")

    def seek(self, offset: int, whence: int = 0) -> None:
        self.file.seek(offset, whence)

    def tell(self) -> int:
        return self.file.tell()

    def __iter__(self) -> FileWrapper:
        return self

    def __next__(self) -> bytes:
        data = self.file.read(self.buffer_size)
        if data:
            return data
        raise StopIteration


def safe_join(directory: str, *pathnames: str) -> str | None:
    """Join untrusted URL path segments to a trusted folder, or ``None`` if the result could
    lie outside it.

    Werkzeug's lexical checks (``..``, absolute paths, backslashes) are made on every OS,
    plus: drive letters, NUL bytes and Windows device names anywhere, and the real path
    (symlinks resolved) must stay inside the folder's real path. That last check is what
    stops ``/static`` from reaching ``/static-secrets`` through a symlink, which a prefix
    comparison would let through.

    :param directory: The trusted folder.
    :param pathnames: Untrusted parts, ``/``-separated as in a URL.
    :return: The joined path (not resolved), or ``None`` when it is unsafe.
    """
    if not directory:
        # "" would make the first untrusted part the base.
        directory = "."
    parts = [directory]
    for part in pathnames:
        if not part:
            continue
        if "\\" in part or "\0" in part:
            return None
        part = posixpath.normpath(part)
        if part.startswith("/") or part == ".." or part.startswith("../"):
            return None
        if os.path.isabs(part) or ntpath.isabs(part):
            return None
        for segment in part.split("/"):
            if _drive_re.match(segment):
                return None
            if segment.partition(".")[0].strip().upper() in _windows_device_names:
                return None
        parts.append(part)
    joined = posixpath.join(*parts)
    base = os.path.realpath(directory)
    real = os.path.realpath(joined)
    if real != base and os.path.commonpath([base, real]) != base:
        return None
    return joined


def _content_disposition(headers: Headers, download_name: str, as_attachment: bool) -> None:
    """Set ``Content-Disposition`` with RFC 6266's ASCII ``filename`` and, for other names,
    RFC 5987's ``filename*``, exactly as Werkzeug writes them.

    A name with control characters (often an uploaded file's name, so user input) is sent
    like a non-ASCII one: the controls are dropped from ``filename`` and percent-encoded in
    ``filename*``. Werkzeug lets CR/LF through to the header, which then refuses it (a 500).
    """
    if download_name.isascii() and _control_re.search(download_name) is None:
        names = {"filename": download_name}
    else:
        fallback = unicodedata.normalize("NFKD", download_name)
        fallback = fallback.encode("ascii", "ignore").decode("ascii")
        fallback = _control_re.sub("", fallback)
        quoted = quote(download_name, safe=_attr_chars)
        names = {"filename": fallback, "filename*": f"UTF-8''{quoted}"}
    headers.set("Content-Disposition", "attachment" if as_attachment else "inline", **names)


def _default_max_age(path: str | None) -> int | None:
    """The app's cache lifetime for *path*: its ``get_send_file_max_age`` when it has one,
    else ``SEND_FILE_MAX_AGE_DEFAULT`` read directly."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    getter = getattr(app, "get_send_file_max_age", None)
    if getter is not None:
        return t.cast("int | None", getter(path))
    value = app.config["SEND_FILE_MAX_AGE_DEFAULT"]
    if isinstance(value, timedelta):
        return int(value.total_seconds())
    return t.cast("int | None", value)


def send_file(
    path_or_file: os.PathLike[str] | str | t.IO[bytes],
    mimetype: str | None = None,
    as_attachment: bool = False,
    download_name: str | None = None,
    conditional: bool = True,
    etag: bool | str = True,
    last_modified: datetime | int | float | None = None,
    max_age: int | t.Callable[[str | None], int | None] | None = None,
) -> Response:
    """Send a file's contents, as Flask's ``send_file`` does.

    Never pass a path taken from the request: it is trusted as given. Use
    :func:`send_from_directory` for those.

    :param path_or_file: A path (relative to the app's root path) or a binary file object,
        read from its current position.
    :param mimetype: The mimetype; guessed from the file name when not given.
    :param as_attachment: Ask the browser to save the file rather than show it.
    :param download_name: The name the browser shows; defaults to the file's name.
    :param conditional: Answer ``If-None-Match``, ``If-Modified-Since`` and ``Range``.
    :param etag: Send an ETag made from the path's mtime, size and name, or this string.
    :param last_modified: When the file changed; defaults to the path's mtime.
    :param max_age: Seconds the client may cache it (then ``public``), or a callable of the
        path; ``None`` asks the app (``SEND_FILE_MAX_AGE_DEFAULT``), and no value at all
        means ``no-cache``, so clients revalidate with the ETag.
    :raises TypeError: When a file object comes with neither a name nor a mimetype.
    :raises ValueError: For a text-mode file.
    """
    app = current_app
    path: str | None = None
    file: t.IO[bytes] | None = None
    size: int | None = None
    mtime: float | None = None
    headers = Headers()
    if isinstance(path_or_file, (str, os.PathLike)) or hasattr(path_or_file, "__fspath__"):
        path = os.path.join(app.root_path, os.fspath(t.cast("str", path_or_file)))
        stat = os.stat(path)
        size = stat.st_size
        mtime = stat.st_mtime
    else:
        file = path_or_file

    if download_name is None and path is not None:
        download_name = os.path.basename(path)
    if mimetype is None:
        if download_name is None:
            raise TypeError(
                "Unable to detect the MIME type because a file name is not available. Either"
                " set 'download_name', pass a path instead of a file, or set 'mimetype'."
            )
        mimetype, encoding = mimetypes.guess_type(download_name)
        if mimetype is None:
            mimetype = "application/octet-stream"
        # A saved .tar.gz sent with Content-Encoding gets decompressed by browsers.
        if encoding is not None and not as_attachment:
            headers.set("Content-Encoding", encoding)
    if download_name is not None:
        _content_disposition(headers, download_name, as_attachment)
    elif as_attachment:
        raise TypeError(
            "No name provided for attachment. Either set 'download_name' or pass a path"
            " instead of a file."
        )

    data: FileWrapper | None
    if app.config["USE_X_SENDFILE"] and path is not None:
        headers["X-Sendfile"] = path
        data = None
    else:
        if file is None:
            assert path is not None
            file = open(path, "rb")  # noqa: SIM115 - closed with the response body
        elif isinstance(file, io.BytesIO):
            size = file.getbuffer().nbytes
        elif isinstance(file, io.TextIOBase):
            raise ValueError("Files must be opened in binary mode or use BytesIO.")
        data = FileWrapper(file)

    rv: Response = app.response_class(
        data, mimetype=mimetype, headers=headers, direct_passthrough=True
    )
    if size is not None:
        rv.headers["Content-Length"] = str(size)
    if last_modified is not None:
        rv.last_modified = last_modified
    elif mtime is not None:
        rv.last_modified = mtime

    if max_age is None:
        max_age = _default_max_age
    if callable(max_age):
        max_age = max_age(path)
    # The same Cache-Control Werkzeug writes: revalidate unless a positive lifetime is set.
    if max_age is None:
        rv.headers["Cache-Control"] = "no-cache"
    else:
        if max_age > 0:
            rv.headers["Cache-Control"] = f"public, max-age={max_age}"
        else:
            rv.headers["Cache-Control"] = f"no-cache, max-age={max_age}"
        rv.expires = int(time.time() + max_age)

    if isinstance(etag, str):
        rv.set_etag(etag)
    elif etag and path is not None:
        check = zlib.adler32(path.encode()) & 0xFFFFFFFF
        rv.set_etag(f"{mtime}-{size}-{check}")

    if conditional:
        try:
            rv.make_conditional(request, accept_ranges=True, complete_length=size)
        except RequestedRangeNotSatisfiable:
            if file is not None:
                file.close()
            raise
        # Some X-Sendfile servers send the file even with a 304.
        if rv.status_code == 304:
            rv.headers.remove("X-Sendfile")
    return rv


def send_from_directory(
    directory: os.PathLike[str] | str, path: os.PathLike[str] | str, **kwargs: t.Any
) -> Response:
    """Send a file from inside *directory*; anything else is a 404.

    The safe way to serve files named by the client (static files, uploads): *path* goes
    through :func:`safe_join`, so no spelling of it reaches a file outside *directory*.

    :param directory: The trusted folder, relative to the app's root path. Never a value
        from the client.
    :param path: The client's path, relative to *directory*.
    :param kwargs: Passed to :func:`send_file`.
    :raises NotFound: When the path is unsafe or not a regular file.
    """
    base = os.path.join(current_app.root_path, os.fspath(directory))
    joined = safe_join(base, os.fspath(path))
    if joined is None or not os.path.isfile(joined):
        raise NotFound()
    return send_file(joined, **kwargs)
