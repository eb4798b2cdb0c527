"""chipsmith.irdrop: PDN netlists, exact static and dynamic IR-drop solvers, maps, synthetic data.

Public API (see each module for details)::

    from chipsmith.irdrop import parse_pdn, solve_static, ir_drop_map
    pdn = parse_pdn("netlist.sp.gz")            # contest or generic SPICE R/C/I/V, gzip ok
    sol = solve_static(pdn)                     # direct LU or AMG-CG, pads eliminated
    m = ir_drop_map(pdn, sol.drop)              # [x][y], 1 um pixels, contest convention

    from chipsmith.irdrop import generate_pdn, GeneratorConfig, solve_transient
    case = generate_pdn(GeneratorConfig(width_um=200, height_um=200), seed=1, dynamic=True)
    dyn = solve_transient(case.pdn, case.profile, dt=1e-11, t_stop=2e-9)   # one factorization

Learned prediction (torch / torch_geometric, imported only by these modules)::

    from chipsmith.irdrop.graph import build_pdn_graph          # PDNGraph (HeteroData)
    from chipsmith.irdrop.model_pdnnet import PDNNet            # dual-branch GNN-CNN
    from chipsmith.irdrop.model_unet import UNetBaseline        # U-Net baseline
    from chipsmith.irdrop import flows                          # train / predict / evaluate
    flows.predict("pdnnet", "netlist.sp.gz", "out/pred")        # the shipped checkpoint
"""
from chipsmith.irdrop.dynamic import (CurrentProfile, DynamicSolution, instance_profile, load_profile,
                                      netlist_profile, solve_transient, tile_profile)
from chipsmith.irdrop.generate import GeneratorConfig, LayerSpec, SyntheticCase, generate_pdn, random_config, write_netlist
from chipsmith.irdrop.maps import MapBuilder, compare, current_map, eff_dist_map, hotspots, ir_drop_map, orient
from chipsmith.irdrop.parser import parse_node_name, parse_pdn
from chipsmith.irdrop.pdn import PDN, PWL
from chipsmith.irdrop.static import StaticSolution, check_islands, factorize, reduce_system, solve_static

__all__ = [
    "PDN", "PWL", "parse_pdn", "parse_node_name",
    "StaticSolution", "solve_static", "reduce_system", "check_islands", "factorize",
    "MapBuilder", "ir_drop_map", "current_map", "eff_dist_map", "orient", "hotspots", "compare",
    "CurrentProfile", "DynamicSolution", "solve_transient", "instance_profile", "tile_profile",
    "netlist_profile", "load_profile",
    "GeneratorConfig", "LayerSpec", "SyntheticCase", "generate_pdn", "random_config", "write_netlist",
]
