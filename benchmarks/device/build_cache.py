"""Build the processed IR-drop cache (`flows.load_dataset`). usage: build_cache.py CACHE SIZE K PRIOR_MAP DATA..."""
import os
import sys
from pathlib import Path

from chipsmith.irdrop.flows import load_dataset

if __name__ == "__main__":
    ds = load_dataset(sys.argv[5:], size=int(sys.argv[2]), n_slices=8, cache=Path(sys.argv[1]),
                      workers=int(os.environ.get("CW", "16")), quiet=True, prior_iters=int(sys.argv[3]),
                      prior_map=sys.argv[4])
    print("cache", len(ds), ds.version, flush=True)
