from __future__ import annotations

value = "no application here"
