"""Small PDNs shared by the irdrop tests."""
from __future__ import annotations

import pytest

from chipsmith.irdrop.generate import GeneratorConfig, generate_pdn


def small_config(**kw) -> GeneratorConfig:
    base = dict(width_um=40.0, height_um=40.0, pad_pitch_um=20.0, pad_offset_um=10.0, tile_um=10.0,
                t_stop=1e-9, n_times=21, clock_period=0.25e-9, decap_per_um2=1e-13)
    base.update(kw)
    return GeneratorConfig(**base)


@pytest.fixture(scope="session")
def small_case():
    """A ~430-node dynamic grid with decap, tile currents and one pad."""
    return generate_pdn(small_config(), 3, dynamic=True)


TINY = """* tiny contest-style PDN
R0 n1_m1_0_0 n1_m1_4000_0 1.0
R1 n1_m1_4000_0 n1_m1_8000_0 1.0
R2 n1_m1_8000_0 n1_m4_8000_0 0.5
R3 n1_m1_0_0 n1_m1_0_4000 1.0
I0 n1_m1_4000_0 0 1e-3
I1 n1_m1_0_4000 0 2e-3
V0 n1_m4_8000_0 0 1.1
.op
.end
"""
