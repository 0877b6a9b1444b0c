"""Cost of the LightCurves constructors and indexing on the PLAsTiCC training set.

    python benchmarks/bench_lightcurves.py --data-dir ../shared/data

Targets (issue 2): from_pandas on the 1.4 M-row table < 5 s; container memory
within 2x of the flat numeric data; indexing 1,000 random objects < 50 ms.
"""

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from skastro import LightCurves


def timed(fn, repeat=3):
    best = np.inf
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return out, best


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", default="../shared/data")
    args = parser.parse_args()
    path = Path(args.data_dir) / "plasticc" / "plasticc_train_lightcurves.csv.gz"
    table, read_s = timed(lambda: pd.read_csv(path), repeat=1)
    kwargs = dict(id="object_id", time="mjd", value="flux", error="flux_err", band="passband",
                  context=["detected_bool"])
    lcs, build_s = timed(lambda: LightCurves.from_pandas(table, **kwargs))
    flat = sum(table[c].to_numpy().nbytes for c in ["object_id", "mjd", "flux", "flux_err", "passband", "detected_bool"])
    held = sum(lcs._columns[c].nbytes for c in lcs.columns) + lcs.offsets.nbytes
    rng = np.random.default_rng(0)
    idx = rng.choice(len(lcs), 1000, replace=False)
    _, index_s = timed(lambda: lcs[idx], repeat=20)
    rows = [("read_csv (pandas, for reference)", f"{read_s:.2f} s", ""),
            ("from_pandas", f"{build_s:.2f} s", "< 5 s"),
            ("container / flat numeric data", f"{held / 1e6:.1f} / {flat / 1e6:.1f} MB = {held / flat:.2f}x", "< 2x"),
            ("index 1,000 random objects", f"{index_s * 1e3:.1f} ms", "< 50 ms")]
    _, s = timed(lambda: lcs.to_pandas()); rows.append(("to_pandas", f"{s:.2f} s", ""))
    table_out, s = timed(lambda: lcs.to_table(), repeat=1); rows.append(("to_table", f"{s:.2f} s", ""))
    _, s = timed(lambda: LightCurves.from_table(table_out, time="time", value="value", error="error",
                                                band="band", context=["detected_bool"]), repeat=1)
    rows.append(("from_table", f"{s:.2f} s", ""))
    _, s = timed(lambda: lcs.to_padded()); rows.append(("to_padded (7,848 x 352 x 3)", f"{s:.2f} s", ""))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "plasticc.parquet"
        _, s = timed(lambda: lcs.to_parquet(out), repeat=1); rows.append(("to_parquet", f"{s:.2f} s", f"{out.stat().st_size / 1e6:.0f} MB file"))
        _, s = timed(lambda: LightCurves.read_parquet(out)); rows.append(("read_parquet", f"{s:.2f} s", ""))
    print(f"PLAsTiCC training set: {len(lcs)} objects, {lcs.n_observations} observations\n")
    print(f"{'operation':40s} {'measured':32s} target")
    for name, value, target in rows:
        print(f"{name:40s} {value:32s} {target}")


if __name__ == "__main__":
    main()
