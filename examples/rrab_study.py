"""RRab vs the rest: the study of Dékány & Grebel (2020, §3.4-3.5) on simulated VVV light curves.

One command runs, on the same 5 stratified folds:

* ``PeriodFolder -> DualFoldSequencer -> BiLSTMClassifier`` (the paper's network),
* the same network without the 2P channels (the paper's argument for the 2P fold),
* a random forest on the PeriodFolder features (period, amplitude, Fourier
  parameters, quality metrics) as the baseline,

and writes Table 2's metrics (overall and at S/N > 60), ROC and
precision-recall curves with AUC / AP (Fig. 8), cumulative metrics against S/N
(Fig. 7), learning curves (Fig. 6) and the fraction of eclipsing binaries
each model calls RRab. ``--plasticc DIR`` adds the real-data check on
PLAsTiCC (RR Lyrae, class 92, against eclipsing binaries and Miras).

The light curves are folded once before the cross-validation: PeriodFolder
learns nothing from the training set (every light curve is folded on its
own), so this equals folding inside each fold at a fifth of the cost.

Examples::

    python examples/rrab_study.py --quick                    # ~5 min on 2 busy cores
    python examples/rrab_study.py --n-jobs-cv 2              # the study of the docs, ~1 h on 2 cores
    python examples/rrab_study.py --n-objects 40000 --max-epochs 300 --batch-size 256 --lr 0.0015  # the paper's scale
    python examples/rrab_study.py --plasticc ../shared/data
    python examples/rrab_study.py --quick --paper           # the paper's protocol and network preset

``--paper`` follows §3.4-3.5: ``BiLSTMClassifier.from_preset("dekany2020")``
(raw inputs, time-step dropout; the training budget stays the command
line's), a stratified 25 % held-out test set, cross-validation on the rest,
label cleaning of the training part (3 rounds) with 0.5 % of its RRab stars
planted as non-RRab (``--label-noise``; the paper found 79 RRab stars among
~22,300 "non-RRab" training curves, ~0.5 % of its RRab count), and the final
refits scored on the test set.
"""

import argparse
import json
from pathlib import Path

from skastro.experiments import format_rrab_table, run_rrab_plasticc, run_rrab_study


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n-objects", type=int, default=12000, help="simulated light curves")
    parser.add_argument("--max-epochs", type=int, default=60, help="training epochs (paper: 300)")
    parser.add_argument("--batch-size", type=int, default=64, help="mini-batch (paper: 256)")
    parser.add_argument("--lr", type=float, default=0.003, help="initial Adam learning rate (paper: 0.0015)")
    parser.add_argument("--max-length", type=int, default=100, help="sequence steps kept (phase-thinned)")
    parser.add_argument("--n-splits", type=int, default=5)
    parser.add_argument("--rf-trees", type=int, default=300)
    parser.add_argument("--n-threads", type=int, default=1, help="torch threads per fit")
    parser.add_argument("--n-jobs", type=int, default=None, help="processes for PeriodFolder")
    parser.add_argument("--n-jobs-cv", type=int, default=None, help="processes for the (fold, model) fits")
    parser.add_argument("--random-state", type=int, default=0)
    parser.add_argument("--plasticc", type=Path, default=None, help="folder holding plasticc/ (adds the real-data check)")
    parser.add_argument("--plasticc-band", default="r")
    parser.add_argument("--skip-simulator", action="store_true", help="only the PLAsTiCC check")
    parser.add_argument("--out", type=Path, default=Path("rrab_study_out"), help="folder for figures and JSON")
    parser.add_argument("--quick", action="store_true", help="800 objects, 15 epochs, 3 folds")
    parser.add_argument("--paper", action="store_true",
                        help="the paper's protocol: preset network, held-out test set, label cleaning")
    parser.add_argument("--test-size", type=float, default=0.25, help="held-out fraction with --paper")
    parser.add_argument("--label-noise", type=float, default=0.005,
                        help="fraction of training RRab labelled non-RRab, with --paper")
    args = parser.parse_args(argv)
    if args.quick:
        args.n_objects, args.max_epochs, args.n_splits = 800, 15, 3
    args.out.mkdir(parents=True, exist_ok=True)

    if not args.skip_simulator:
        result = run_rrab_study(n_objects=args.n_objects, max_epochs=args.max_epochs, batch_size=args.batch_size,
                                lr=args.lr, n_splits=args.n_splits, rf_trees=args.rf_trees,
                                random_state=args.random_state, n_threads=args.n_threads, n_jobs=args.n_jobs,
                                out_dir=args.out, max_length=args.max_length, n_jobs_cv=args.n_jobs_cv,
                                **(dict(bilstm_preset="dekany2020", test_size=args.test_size,
                                        label_noise=args.label_noise, clean_labels=True) if args.paper else {}))
        print("\nsimulator, out-of-fold predictions (cf. Table 2: CV acc 0.990, prec 0.985, rec 0.992, F1 0.988)"
              + ("; test rows: final refits on the held-out set (test at S/N > 60: 0.983, 0.986, 0.992, 0.989)"
                 if args.paper else ""))
        print(format_rrab_table(result))
        if args.paper:
            print(f"label cleaning: {json.dumps({k: v for k, v in result['cleaning'].items() if k != 'removed_ids'})}")
        print(f"scale: {json.dumps(result['scale'])}")
        print(f"fit seconds: {json.dumps({k: round(v) for k, v in result['fit_seconds'].items()})}, "
              f"total {result['total_seconds']:.0f} s; figures in {args.out}")
    if args.plasticc is not None:
        pl = run_rrab_plasticc(args.plasticc, band=args.plasticc_band, max_epochs=args.max_epochs,
                               batch_size=args.batch_size, lr=args.lr, n_splits=args.n_splits,
                               rf_trees=args.rf_trees, random_state=args.random_state, n_threads=args.n_threads,
                               n_jobs=args.n_jobs, n_jobs_cv=args.n_jobs_cv)
        (args.out / "bilstm_plasticc.json").write_text(json.dumps(pl, indent=2))
        print(f"\nPLAsTiCC band {pl['band']}: {pl['n_objects']} objects {pl['classes']}")
        for name, m in pl["models"].items():
            print(f"  {name:<14} acc {m['accuracy']:.3f} prec {m['precision']:.3f} rec {m['recall']:.3f} "
                  f"F1 {m['f1']:.3f} AP {m['ap']:.3f}")


if __name__ == "__main__":
    main()
