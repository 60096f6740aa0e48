"""``python -m kolba.cli``: the ``kolba`` command without the console script."""

from __future__ import annotations

from kolba.cli.group import main

main()
