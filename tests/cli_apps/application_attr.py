from __future__ import annotations

from kolba import Kolba

# Preferred over the other instance because of its name.
application = Kolba("application_attr_app")
other = Kolba("other_app")
