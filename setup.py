"""Optional C extension for tokeff's BPE trainer (``tokeff/bpe/_core.c``).

Everything else about the package lives in ``pyproject.toml``. The extension only speeds up
training; if no C compiler is available the build warns and carries on, and ``tokeff.bpe`` falls
back to its pure-Python merge loop (same merges, slower).
"""

import warnings

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext


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


setup(
    ext_modules=[
        Extension("tokeff.bpe._core", ["tokeff/bpe/_core.c"], extra_compile_args=["-O3"], optional=True)
    ],
    cmdclass={"build_ext": OptionalBuildExt},
)
