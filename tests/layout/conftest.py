"""Fixtures shared by the layout tests: the shipped cell library, its rule deck and its drawn cells."""
from __future__ import annotations

import pytest

from chipsmith.layout.cells import load_cells
from chipsmith.layout.leafcells import draw_library
from chipsmith.layout.rules import load_rules


@pytest.fixture(scope="module")
def lib():
    return load_cells()


@pytest.fixture(scope="module")
def deck():
    return load_rules()


@pytest.fixture(scope="module")
def drawn(lib, deck):
    return draw_library(lib, deck)


@pytest.fixture(scope="module")
def tmpl(lib, deck):
    """The column template at the bitcell's pitch (the macro tests draw cells into it)."""
    from chipsmith.layout.leafcells import Template

    return Template.from_deck(deck, lib.get("sram8t").width)
