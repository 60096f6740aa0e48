"""Import the Flaskr package as written (Flask) or migrated (Kolba), fresh for every test.

:func:`tests.acceptance.harness.load_app` runs one module; Flaskr is a package whose modules
import each other, so each of them must be rewritten as it is imported. A meta path finder
that answers only for one uniquely named package does that without touching how anything
else is imported, and a unique name per load lets a Flask and a Kolba build live side by side
in one process (each also gets its own copy of the files, so each has its own instance folder).
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import itertools
import shutil
import sys
import types
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from ..harness import Framework, rewrite_source

#: The app's sources, copied (never imported) from here.
SOURCE_DIR = Path(__file__).parent / "flaskr"

_counter = itertools.count()


class _FlaskrImporter(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds and loads the modules of one copy of Flaskr, rewriting them for Kolba if asked."""

    def __init__(self, name: str, package_dir: Path, framework: Framework) -> None:
        self.name = name
        self.package_dir = package_dir
        self.framework = framework

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: types.ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname == self.name:
            return importlib.util.spec_from_file_location(
                fullname,
                self.package_dir / "__init__.py",
                loader=self,
                submodule_search_locations=[str(self.package_dir)],
            )
        package, _, module = fullname.rpartition(".")
        if package != self.name or not (self.package_dir / f"{module}.py").is_file():
            return None
        return importlib.util.spec_from_file_location(
            fullname, self.package_dir / f"{module}.py", loader=self
        )

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType | None:
        return None  # the default module object

    def exec_module(self, module: types.ModuleType) -> None:
        # Compiled here rather than by SourceFileLoader so that no rewritten bytecode is ever
        # cached where the unchanged source would later pick it up.
        assert module.__file__ is not None
        source = Path(module.__file__).read_text(encoding="utf-8")
        if self.framework == "kolba":
            source = rewrite_source(source)
        exec(compile(source, module.__file__, "exec"), module.__dict__)


@contextmanager
def flaskr_package(framework: Framework, where: Path) -> Iterator[types.ModuleType]:
    """Import a fresh copy of Flaskr for ``framework`` and forget it afterwards.

    The importer stays installed while the block runs because ``create_app`` imports the
    blueprint modules itself, on every call.

    :param framework: ``"flask"`` imports the sources as written, ``"kolba"`` migrated.
    :param where: an empty folder to copy the package into; its ``instance`` folder is where
        ``create_app`` will put the database unless a test says otherwise.
    """
    package_dir = where / "flaskr"
    shutil.copytree(SOURCE_DIR, package_dir, ignore=shutil.ignore_patterns("__pycache__"))
    name = f"acceptance_flaskr_{framework}_{next(_counter)}"
    importer = _FlaskrImporter(name, package_dir, framework)
    sys.meta_path.insert(0, importer)
    try:
        yield importlib.import_module(name)
    finally:
        sys.meta_path.remove(importer)
        for module_name in [n for n in sys.modules if n == name or n.startswith(f"{name}.")]:
            del sys.modules[module_name]
