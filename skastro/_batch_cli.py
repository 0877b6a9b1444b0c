"""Batch subcommands of the ``skastro`` command: fold, novelty fit|score, vet.

Each reads light curves (a CSV, Parquet or astropy-readable long table, a
Parquet file written by ``LightCurves.to_parquet``, or a partitioned
directory written by ``skastro.write_partitions``), runs partition by
partition on Dask (in this process by default, on a local cluster with
``--n-workers``, on a running cluster with ``--scheduler``) and writes
Parquet partitions. Dask's progress bar and the messages go to stderr
(``--quiet``: no bar); nothing is written to stdout.
"""

import contextlib
import sys
from pathlib import Path

_METHODS_NOVELTY = ("score_samples", "decision_function", "predict", "transform")
_METHODS_VET = ("predict_proba", "predict", "decision_function")


def _input_arguments(p):
    p.add_argument("input", help="CSV/Parquet/astropy-readable long table (one row per "
                   "observation), a LightCurves Parquet file, or a partitioned directory")
    g = p.add_argument_group("input columns (long tables only)")
    g.add_argument("--id", default="object_id", help="object id column (default: %(default)s)")
    g.add_argument("--time", default="time", help="time column, days (default: %(default)s)")
    g.add_argument("--value", default="mag", help="magnitude/flux column (default: %(default)s)")
    g.add_argument("--error", default="mag_err", help="uncertainty column (default: %(default)s)")
    g.add_argument("--band-column", default=None, help="passband column, if any")
    g.add_argument("--site-column", default=None, help="site/telescope column, if any")
    g.add_argument("--context", nargs="+", default=None, metavar="COLUMN",
                   help="further per-epoch columns to keep")
    g.add_argument("--partition-size", type=int, default=10_000,
                   help="objects per partition for a single input file (default: %(default)s)")
    c = p.add_argument_group("where to run")
    c.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="address of a running dask.distributed scheduler (tcp://host:8786)")
    c.add_argument("--n-workers", type=int, default=0,
                   help="without --scheduler: start a local cluster of this many worker "
                   "processes; 0 runs in this process (default: %(default)s)")
    p.add_argument("--quiet", action="store_true",
                   help="no progress bar (by default Dask's progress bar is drawn on stderr)")


def _output_argument(p):
    p.add_argument("--out", required=True,
                   help="output directory of Parquet partitions (part-NNNNN.parquet)")
    p.add_argument("--overwrite", action="store_true", help="replace partitions in --out")


def add_batch_commands(sub):
    """Add the batch subcommands to the ``skastro`` argument parser."""
    fold = sub.add_parser(
        "fold", help="fold light curves with PeriodFolder (periods, Fourier fits)",
        description="Fold every light curve with PeriodFolder and write the folded light "
        "curves (with period, amplitude and Fourier parameters in their metadata) as a "
        "partitioned directory; read it with skastro.read_partitions.")
    _input_arguments(fold)
    _output_argument(fold)
    fold.add_argument("--preset", default=None, help="published settings, e.g. dekany2020")
    fold.add_argument("--band", default=None, help="fold only this band")
    fold.add_argument("--multiband", action="store_true", help="one period shared by all bands")
    fold.add_argument("--period-range", nargs=2, type=float, default=None, metavar=("LO", "HI"),
                      help="searched periods, days")
    fold.add_argument("--random-state", type=int, default=0)
    fold.set_defaults(func=_fold)

    novelty = sub.add_parser("novelty", help="dm-dt novelty detection (fit a model, score)",
                             description="Fit a DmDtNoveltyDetector or score light curves "
                             "with one.")
    nsub = novelty.add_subparsers(dest="action", required=True)
    nfit = nsub.add_parser("fit", help="fit a DmDtNoveltyDetector and save it (.skm)",
                           description="Fit by partial_fit per partition and a tree of "
                           "merges (identical histograms to one fit on all the data); save "
                           "it as a skastro model file (skastro.save_model).")
    _input_arguments(nfit)
    nfit.add_argument("--model", required=True, help="model file to write (.skm)")
    nfit.add_argument("--score", choices=("zscore", "paper"), default="zscore")
    nfit.add_argument("--bands", nargs="+", default=None, help="passbands to use, in order")
    nfit.add_argument("--contamination", type=float, default=0.02)
    nfit.set_defaults(func=_novelty_fit)
    _scoring_command(nsub, "score", _METHODS_NOVELTY, _novelty_score,
                     help="score light curves with a saved detector",
                     description="Write one row per object (indexed by id): the chosen "
                     "method of a DmDtNoveltyDetector saved by 'novelty fit'.",
                     model_help="a model file written by 'skastro novelty fit'")

    _scoring_command(
        sub, "vet", _METHODS_VET, _vet,
        help="vet microlensing alerts with a fitted LensNet (BranchedRNNClassifier)",
        description="Write class probabilities (or labels) of a fitted BranchedRNNClassifier "
        "for each alert. The model is a skastro model file (skastro.save_model), which "
        "loads without running code.",
        model_help="model file of a fitted BranchedRNNClassifier (skastro.save_model)")


def _scoring_command(sub, name, methods, func, *, help, description, model_help):
    """A subcommand applying a saved model's method (first of ``methods`` by default)."""
    p = sub.add_parser(name, help=help, description=description)
    p.add_argument("model", help=model_help)
    _input_arguments(p)
    _output_argument(p)
    p.add_argument("--method", choices=methods, default=methods[0])
    p.set_defaults(func=func)


# ------------------------------------------------------------------- input
def _read_lightcurves(path, args):
    import pandas as pd

    from skastro._lightcurves import _PARQUET_KEY, LightCurves

    columns = dict(id=args.id, time=args.time, value=args.value, error=args.error,
                   band=args.band_column, site=args.site_column, context=args.context)
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        import pyarrow.parquet as pq

        if _PARQUET_KEY in (pq.read_schema(path).metadata or {}):  # LightCurves.to_parquet
            return LightCurves.read_parquet(path)
        return LightCurves.from_pandas(pd.read_parquet(path), **columns)
    if suffix in (".csv", ".txt"):
        return LightCurves.from_pandas(pd.read_csv(path), **columns)
    from astropy.table import Table

    try:
        table = Table.read(path)
    except Exception as exc:  # astropy raises many kinds; all mean "not a table we read"
        raise ValueError(f"not a CSV/Parquet file and astropy cannot read it ({exc})") from None
    return LightCurves.from_table(table, **columns)


def _collection(args):
    """The input as a dask bag of LightCurves partitions; SystemExit on bad input."""
    import skastro.dask

    path = Path(args.input)
    if not path.exists():
        raise SystemExit(f"input {str(path)!r} does not exist.")
    try:
        if path.is_dir():
            return skastro.dask.read_partitions(path)
        lcs = _read_lightcurves(path, args)
        return skastro.dask.from_lightcurves(lcs, partition_size=args.partition_size)
    except KeyError as exc:  # a column the table lacks
        raise SystemExit(f"input {str(path)!r}: {exc.args[0]} Use --id/--time/--value/"
                         "--error/--band-column to name the columns.") from None
    except (ValueError, TypeError, OSError) as exc:
        raise SystemExit(f"input {str(path)!r}: {exc}") from None


@contextlib.contextmanager
def _scheduler(args):
    if args.n_workers < 0:
        raise SystemExit(f"--n-workers must be >= 0; got {args.n_workers}.")
    import dask

    if args.scheduler:
        from distributed import Client

        try:
            client = Client(args.scheduler, timeout="10s")
        except (OSError, TimeoutError) as exc:
            raise SystemExit(f"--scheduler {args.scheduler}: cannot connect ({exc}).") from None
        with client:
            yield
    elif args.n_workers:
        from distributed import Client, LocalCluster

        from skastro.dask import WORKER_CONFIG

        with dask.config.set(WORKER_CONFIG), \
                LocalCluster(n_workers=args.n_workers, threads_per_worker=1, processes=True,
                             dashboard_address=None) as cluster, Client(cluster):
            yield
    else:
        with dask.config.set(scheduler="synchronous"):
            yield


def run(args):
    """Run a batch subcommand (``args.func``) on the scheduler the arguments choose."""
    with _scheduler(args):
        try:
            return args.func(args)
        except (ValueError, TypeError) as exc:
            raise SystemExit(f"skastro {args.command}: {exc}") from None


def _write(estimator, args, method, bag=None):
    import skastro.dask

    bag = _collection(args) if bag is None else bag
    files = skastro.dask.map_estimator(estimator, bag, method, output=args.out,
                                       overwrite=args.overwrite, verbose=not args.quiet)
    print(f"wrote {len(files)} partition(s) to {args.out}", file=sys.stderr)
    return 0


# ------------------------------------------------------------------ commands
def _fold(args):
    from skastro.periodic import PeriodFolder

    settings = dict(band=args.band, multiband=args.multiband, random_state=args.random_state)
    if args.period_range:
        settings["period_range"] = tuple(args.period_range)
    folder = (PeriodFolder.from_preset(args.preset, **settings) if args.preset
              else PeriodFolder(**settings))
    # The folder learns nothing in fit; it checks its settings and the bands.
    bag = _collection(args)
    folder.fit(bag.take(1)[0])
    return _write(folder, args, "transform", bag)


def _novelty_fit(args):
    import skastro.dask
    from skastro.novelty import DmDtNoveltyDetector

    detector = DmDtNoveltyDetector(score=args.score, bands=args.bands,
                                   contamination=args.contamination)
    detector = skastro.dask.partial_fit_merge(detector, _collection(args), verbose=not args.quiet)
    detector.save(args.model)
    print(f"fitted on {detector.n_objects_seen_} light curves; model written to "
          f"{args.model}", file=sys.stderr)
    return 0


def _model_path(path):
    path = Path(path)
    if not path.is_file():
        raise SystemExit(f"model {str(path)!r} does not exist or is not a file.")
    return path


def _load(path, cls):
    """The fitted ``cls`` in the model file ``path``; SystemExit with the reason otherwise."""
    from skastro.utils import load_model

    path = _model_path(path)
    try:
        model = load_model(path)
    except (ValueError, OSError) as exc:
        raise SystemExit(f"model {str(path)!r}: {exc}") from None
    if not isinstance(model, cls):
        raise SystemExit(f"model {str(path)!r} holds a {type(model).__name__}; expected a "
                         f"fitted {cls.__name__}.")
    return model


def _novelty_score(args):
    from skastro.novelty import DmDtNoveltyDetector

    return _write(_load(args.model, DmDtNoveltyDetector), args, args.method)


def _vet(args):
    from skastro.microlensing import BranchedRNNClassifier

    return _write(_load(args.model, BranchedRNNClassifier), args, args.method)
