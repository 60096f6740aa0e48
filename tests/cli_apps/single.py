from __future__ import annotations

from kolba import Kolba

my_site = Kolba("single_instance")
