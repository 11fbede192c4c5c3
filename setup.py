"""What ``pyproject.toml`` cannot say: the optional C core, and the shipped corpora.

* The C core (the C files of ``tokeff/_native/``, one extension module ``tokeff._native._core``)
  only speeds things up (BPE training, the analysis pass's text scan, document-id hashes); if no C
  compiler is available the build warns and carries on, and tokeff falls back to pure Python (same
  results, slower).
* The corpora tokeff ships (``corpora/`` at the top of the repository) are copied into built
  packages as ``tokeff/_corpora``, where :func:`tokeff.corpus.default.corpora_dir` finds them
  when tokeff is installed from a wheel; an editable install reads ``corpora/`` in place.
"""

import shutil
import warnings
from glob import glob
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
            warnings.warn(f"tokeff: C core not built ({exc}); using pure Python (same results, slower)")

    def build_extension(self, ext: Extension) -> None:
        try:
            super().build_extension(ext)
        except Exception as exc:
            warnings.warn(f"tokeff: C core not built ({exc}); using pure Python (same results, slower)")


class BuildPyWithCorpora(build_py):
    """Copy ``corpora/`` into the package being built (not into an editable install's tree)."""

    def run(self) -> None:
        super().run()
        source = Path(__file__).resolve().parent / "corpora"
        if not getattr(self, "editable_mode", False) and source.is_dir():
            shutil.copytree(source, Path(self.build_lib) / "tokeff" / "_corpora", dirs_exist_ok=True)


NATIVE = "tokeff/_native"
# -fvisibility=hidden: the files share functions with each other, but the module exports only its
# init (PyMODINIT_FUNC is marked visible), so no name can clash with another library's.

setup(
    ext_modules=[
        Extension("tokeff._native._core", sorted(glob(f"{NATIVE}/*.c")), depends=sorted(glob(f"{NATIVE}/*.h")),
                  extra_compile_args=["-O3", "-fvisibility=hidden"], optional=True)
    ],
    cmdclass={"build_ext": OptionalBuildExt, "build_py": BuildPyWithCorpora},
)
