"""Exact CDF ranks of one SBC seed's Bernoulli data sets: python run.py SEED PART NPARTS [N] [OUT_DIR]."""

import sys
import time

import numpy as np
import pandas as pd
from exact import GIDX, NG, adaptive_grid, datasets, exact_cdfs

seed, part, nparts = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
n = int(sys.argv[4]) if len(sys.argv) > 4 else 200
ds = datasets(seed, n)
out_dir = sys.argv[5] if len(sys.argv) > 5 else "."
out = f"{out_dir}/exact_{seed}_{part}.csv"
first = True
for i in range(part, n, nparts):
    y, tr, ac = ds[i]
    t0 = time.time()
    try:
        g, lp, edges = adaptive_grid(y, n1=28, n2=64, h=0.1)
        r = exact_cdfs(g, lp, tr)
    except Exception as e:
        print(i, "FAIL", e, flush=True)
        continue
    n0 = sum(y[GIDX == j].sum() == 0 for j in range(NG))
    n1 = sum(y[GIDX == j].sum() == 10 for j in range(NG))
    row = {
        "i": i,
        **{f"F_{k}": r[k] for k in ("b[Intercept]", "b[x]", "sd[g|Intercept]")},
        **{f"true_{k}": v for k, v in tr.items()},
        "true_a": ac,
        "n_all0": n0,
        "n_all1": n1,
        "post_mean_a": r["post_mean_a"],
        "post_mean_b": r["post_mean_b"],
        "post_mean_s": r["post_mean_s"],
        "max_edge": float(np.max(edges)),
        "sec": time.time() - t0,
    }
    pd.DataFrame([row]).to_csv(out, mode="a", header=first, index=False)
    first = False
    print(i, round(time.time() - t0, 1), flush=True)
