"""Kolba: Flask's API on a fast, sans-IO core.

A Flask application moves over by changing its imports: ``Kolba`` is the application class and
every other public name here is Flask's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import json as json
from .app import Kolba as Kolba
from .blueprints import Blueprint as Blueprint
from .config import Config as Config
from .ctx import after_this_request as after_this_request
from .ctx import copy_current_request_context as copy_current_request_context
from .ctx import has_app_context as has_app_context
from .ctx import has_request_context as has_request_context
from .globals import current_app as current_app
from .globals import g as g
from .globals import request as request
from .globals import session as session
from .helpers import abort as abort
from .helpers import flash as flash
from .helpers import get_flashed_messages as get_flashed_messages
from .helpers import make_response as make_response
from .helpers import redirect as redirect
from .helpers import stream_with_context as stream_with_context
from .helpers import url_for as url_for
from .json import jsonify as jsonify
from .signals import appcontext_popped as appcontext_popped
from .signals import appcontext_pushed as appcontext_pushed
from .signals import appcontext_tearing_down as appcontext_tearing_down
from .signals import before_render_template as before_render_template
from .signals import got_request_exception as got_request_exception
from .signals import message_flashed as message_flashed
from .signals import request_finished as request_finished
from .signals import request_started as request_started
from .signals import request_tearing_down as request_tearing_down
from .signals import template_rendered as template_rendered
from .wrappers import Request as Request
from .wrappers import Response as Response

__version__ = "0.1.0.dev0"

# PERF: templating (Jinja2) and file sending are imported on first use, so an app that uses
# neither starts faster; the names still behave as ordinary attributes of the package.
if TYPE_CHECKING:  # pragma: no cover - type checkers see the lazy names' real types
    from .files import send_file as send_file
    from .files import send_from_directory as send_from_directory
    from .templating import get_template_attribute as get_template_attribute
    from .templating import render_template as render_template
    from .templating import render_template_string as render_template_string
    from .templating import stream_template as stream_template
    from .templating import stream_template_string as stream_template_string

_lazy = {
    "render_template": "templating",
    "render_template_string": "templating",
    "stream_template": "templating",
    "stream_template_string": "templating",
    "get_template_attribute": "templating",
    "send_file": "files",
    "send_from_directory": "files",
}


def __getattr__(name: str) -> object:
    module = _lazy.get(name)
    if module is None:
        raise AttributeError(f"module 'kolba' has no attribute {name!r}")
    import importlib
    import sys

    value = getattr(importlib.import_module(f".{module}", __name__), name)
    # (``globals`` here is the kolba.globals submodule, so the package dict is reached by name.)
    vars(sys.modules[__name__])[name] = value
    return value


def __dir__() -> list[str]:
    import sys

    return sorted({*vars(sys.modules[__name__]), *_lazy})
