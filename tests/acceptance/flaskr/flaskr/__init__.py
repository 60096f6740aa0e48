"""Flaskr, the blog that Flask's tutorial builds, written as the tutorial writes it.

It is written against Flask (``from flask import ...``); the acceptance tests run it as it is
and again after :func:`tests.acceptance.harness.rewrite_source` has changed the imports to
Kolba's, which is the whole of the migration Kolba promises.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build and configure an app: the factory lets each test have its own app and database.

    :param test_config: settings that replace those of ``config.py`` in the instance folder.
    """
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(
        # "dev" is for development only: a deployment overrides it in config.py.
        SECRET_KEY="dev",
        DATABASE=os.path.join(app.instance_path, "flaskr.sqlite"),
    )

    if test_config is None:
        # The instance folder's config.py, when a deployment has one, holds the real secrets.
        app.config.from_pyfile("config.py", silent=True)
    else:
        app.config.update(test_config)

    # SQLite writes its file there but will not create the folder itself.
    try:
        os.makedirs(app.instance_path)
    except OSError:
        pass

    @app.route("/hello")
    def hello() -> str:
        return "Hello, World!"

    from . import auth, blog, db

    db.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(blog.bp)

    # The blog's index is the site's front page, so "index" and "blog.index" name one URL.
    app.add_url_rule("/", endpoint="index")

    return app
