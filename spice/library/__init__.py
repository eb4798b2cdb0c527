"""Subcircuit library: .cir blocks with YAML metadata and generic device models.

``load_library()`` returns the validated shipped library; ``Library.get/search/by_type``
find blocks; ``Block.instantiate`` writes an ``X`` line; ``models_path(level)`` locates
the generic ``nch``/``pch`` cards; ``run_testbench(block)`` proves a block in ngspice.
"""
from chipsmith.spice.library.core import (
    BLOCKS_DIR,
    KINDS,
    MODELS_DIR,
    POLARITIES,
    ROLES,
    TESTBENCH_KINDS,
    TYPES,
    VDD,
    Block,
    Library,
    Port,
    Testbench,
    load_block,
    load_library,
    model_include,
    models_path,
)
from chipsmith.spice.library.testbench import Check, TestbenchReport, build_testbench, run_testbench

__all__ = ["BLOCKS_DIR", "KINDS", "MODELS_DIR", "POLARITIES", "ROLES", "TESTBENCH_KINDS", "TYPES", "VDD", "Block",
           "Library", "Port", "Testbench", "load_block", "load_library", "model_include", "models_path", "Check",
           "TestbenchReport", "build_testbench", "run_testbench"]
