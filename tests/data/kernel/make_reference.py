"""Write pymc_reference.json: PyMC's log density and gradient of each kernel test case.

Run by hand after changing a PyMC model or the cases (it compiles every model with PyMC):
    python tests/data/kernel/make_reference.py
"""

import json
import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[3]))

from bayeslme.backend.build import build_model  # noqa: E402
from bayeslme.kernel.layout import build_layout  # noqa: E402
from tests.unit.kernel.cases import CASES, case_data, case_id, case_model, case_points  # noqa: E402


def main() -> None:
    data = case_data()
    out = {}
    for case in CASES:
        model = case_model(case, data)
        method = case[3]
        pymc_model, _ = build_model(model.spec, model.design, method)
        layout = build_layout(model.spec, model.design, method)
        logp, dlogp = pymc_model.compile_logp(), pymc_model.compile_dlogp()
        names = [v.name for v in pymc_model.value_vars]
        records = []
        for q in case_points(layout):
            point = {v.name: q[v.start : v.start + v.size].reshape(v.shape) for v in layout.value_vars}
            grad_pymc = np.asarray(dlogp(point))
            grad = np.zeros(layout.n_q)
            offset = 0
            for name in names:
                var = layout.value_var(name)
                grad[var.start : var.start + var.size] = grad_pymc[offset : offset + var.size]
                offset += var.size
            records.append({"q": q.tolist(), "logp": float(logp(point)), "grad": grad.tolist()})
        out[case_id(case)] = records
        print(case_id(case), "done")
    path = pathlib.Path(__file__).with_name("pymc_reference.json")
    path.write_text(json.dumps(out, indent=0))


if __name__ == "__main__":
    main()
