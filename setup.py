"""What ``pyproject.toml`` cannot say: the optional C core, and the shipped corpora.

* The C core (``tokeff/bpe/_core.c``) only speeds things up (BPE training, the analysis pass's
  text scan); if no C compiler is available the build warns and carries on, and tokeff falls back
  to pure Python (same results, slower).
* The corpora tokeff ships (``corpora/`` at the top of the repository) are copied into built
  packages as ``tokeff/_corpora``, where :func:`tokeff.corpus.default.corpora_dir` finds them
  when tokeff is installed from a wheel; an editable install reads ``corpora/`` in place.
"""

import shutil
import warnings
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.command.build_py import build_py


class OptionalBuildExt(build_ext):
    """Build the C core if possible; never fail the install because of it."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:  # no compiler, no Python headers...
            warnings.warn(f"tokeff: C core not built ({exc}); using the pure-Python BPE trainer")

    def build_extension(self, ext: Extension) -> None:
        try:
            super().build_extension(ext)
        except Exception as exc:
            warnings.warn(f"tokeff: C core not built ({exc}); using the pure-Python BPE trainer")


class BuildPyWithCorpora(build_py):
    """Copy ``corpora/`` into the package being built (not into an editable install's tree)."""

    def run(self) -> None:
        super().run()
        source = Path(__file__).resolve().parent / "corpora"
        if not getattr(self, "editable_mode", False) and source.is_dir():
            shutil.copytree(source, Path(self.build_lib) / "tokeff" / "_corpora", dirs_exist_ok=True)


setup(
    ext_modules=[
        Extension("tokeff.bpe._core", ["tokeff/bpe/_core.c"], extra_compile_args=["-O3"], optional=True)
    ],
    cmdclass={"build_ext": OptionalBuildExt, "build_py": BuildPyWithCorpora},
)
