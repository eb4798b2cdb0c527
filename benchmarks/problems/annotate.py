"""The notation the hand-written benchmark sources (real_v2_source.py, heldout_v3_source.py)
annotate requests in: one short function per requirement kind, the port roles, the report
families, and the writer of the JSON Lines set. It only spells requirements; it never reads
a request."""
import json

from chipsmith.spice.requirements import Interface, Port, Request, Requirement


def fam(f, v=None): return ("family", {"family": f, **({"variant": v} if v else {})})
def tgt(fig, op, val, **kw): return ("target", {"figure": fig, "op": op, "value": float(val), **kw})
def stages(n, op="=="): return ("stage_count", {"count": n, **({"op": op} if op != "==" else {})})
def load(kind, stage=None): return ("load_type", {"load": kind, **({"stage": stage} if stage else {})})
def struct(f, **kw): return ("structure", {"feature": f, **kw})
def pol(s): return ("polarity", {"sense": s})
def named(n, el=None, **kw): return ("named_component", {"name": n, **({"element": el} if el else {}), **kw})
def count(d, lo=None, hi=None): return ("device_count", {"device": d, **({"min": lo} if lo is not None else {}),
                                                         **({"max": hi} if hi is not None else {})})
def inp(dev, pair=None): return ("input_type", {"device": dev, **({"pair": pair} if pair is not None else {})})
def lin(out, coefs, **kw): return ("linear_relation", {"output": out, "coefficients": coefs, **kw})
def filt(resp, **kw): return ("filter", {"response": resp, **kw})
def osc(**kw): return ("oscillation", kw)
def ctrl(c, **kw): return ("control_moves_frequency", {"control": c, **kw})
def thr(v, **kw): return ("threshold", {"value": float(v), **kw})
def hyst(op, v, **kw): return ("hysteresis", {"op": op, "value": float(v), **kw})
def supply(v): return ("supply", {"voltage": float(v)})
def cond(n, v, port=None): return ("condition", {"name": n, "value": float(v), **({"port": port} if port else {})})


S, DP, DN, BV, BI, REF, CTL, CLK, O, OP, ON = ("signal_in", "diff_in_p", "diff_in_n", "bias_v", "bias_i", "reference",
                                               "control", "clock", "out", "diff_out_p", "diff_out_n")

GROUP = {"amplifier": "amplifiers", "opamp": "op-amps", "current_mirror": "mirrors+references",
         "bandgap": "mirrors+references", "reference": "mirrors+references", "ldo": "mirrors+references",
         "opamp_app": "op-amp applications", "filter": "filters", "comparator": "comparators", "schmitt": "comparators",
         "inverter": "comparators", "buffer": "comparators", "oscillator": "oscillators", "vco": "VCOs", "pll": "VCOs",
         "mixer": "mixers", "dac": "data-converter parts", "adc": "data-converter parts",
         "sample_hold": "data-converter parts", "switch": "data-converter parts"}


def collector():
    """A fresh problem list and the ``add(family, text, ports, *reqs)`` that fills it."""
    problems = []

    def add(family, text, ports, *reqs):
        problems.append((family, text, ports, reqs))
    return problems, add


def write_set(problems, id_prefix, header, path):
    """The problems as a JSON Lines set (each line round-trips through :class:`Request`)."""
    out = [header]
    for k, (f, text, ports, reqs) in enumerate(problems, start=1):
        iface = Interface(tuple(Port(n, r) for n, r in ports))
        rq = tuple(Requirement(f"r{j}", kind, params) for j, (kind, params) in enumerate(reqs, start=1))
        d = Request(text, iface, rq).to_dict()
        row = {"id": f"{id_prefix}-{k:03d}", "family": GROUP[f], "text": text, "interface": d["interface"],
               "requirements": d["requirements"]}
        Request.from_dict({"text": text, "interface": row["interface"], "requirements": row["requirements"]})
        out.append(json.dumps(row))
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("\n".join(out) + "\n")
    print(len(out) - 1, "problems")
