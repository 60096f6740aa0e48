from __future__ import annotations

from kolba import Kolba

one = Kolba("multi_one")
two = Kolba("multi_two")
