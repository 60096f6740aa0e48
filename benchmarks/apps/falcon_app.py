"""The over-HTTP benchmark's Falcon app: ``gunicorn falcon_app:app``."""

from __future__ import annotations

import falcon


class Hello:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.content_type = falcon.MEDIA_TEXT
        resp.text = "Hello, World!"


class User:
    def on_get(self, req: falcon.Request, resp: falcon.Response, id: int) -> None:
        resp.media = {"id": id, "name": f"user{id}"}


app = falcon.App()
app.add_route("/hello", Hello())
app.add_route("/users/{id:int}", User())
