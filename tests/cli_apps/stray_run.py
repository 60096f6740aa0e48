from __future__ import annotations

from kolba import Kolba

app = Kolba(__name__)
# Outside an ``if __name__ == "__main__"`` guard: the CLI must make this return at once.
app.run()
