"""Serve ``<module>.app`` from the working directory on the development server.

Used by the real-server tests until they can start ``kolba run``:
``python serve.py <module> <port> [--reload] [--threaded=no] [--cert=C --key=K]``.
"""

from __future__ import annotations

import importlib
import os
import sys

from kolba.serving import run_simple


def main(argv: list[str]) -> None:
    sys.path.insert(0, os.getcwd())
    module, port, *flags = argv
    options = dict(flag[2:].partition("=")[::2] for flag in flags)
    app = importlib.import_module(module).app
    ssl_context = (options["cert"], options["key"]) if "cert" in options else None
    run_simple(
        "127.0.0.1",
        int(port),
        app,
        use_reloader="reload" in options,
        threaded=options.get("threaded") != "no",
        extra_files=[options["extra"]] if "extra" in options else None,
        exclude_patterns=[options["exclude"]] if "exclude" in options else None,
        ssl_context=ssl_context,
    )


if __name__ == "__main__":
    main(sys.argv[1:])
