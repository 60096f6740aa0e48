from __future__ import annotations

from kolba import Kolba

app = Kolba("from_wsgi_py")
