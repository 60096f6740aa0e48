from __future__ import annotations

import kolba_cli_test_missing_dependency  # type: ignore[import-not-found]  # noqa: F401
