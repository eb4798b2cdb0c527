"""Small shared fixtures for the lithography tests: tiny optics and grids keep them fast."""
from __future__ import annotations

import pytest

from chipsmith.lithography.hopkins import Optics, Source


@pytest.fixture(scope="session")
def small_optics() -> Optics:
    return Optics(193.0, 1.35, 1.44, Source("annular", 0.8, 0.5, step=0.1), defocus_nm=0.0)
