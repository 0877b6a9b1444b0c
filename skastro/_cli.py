"""The ``skastro`` command."""

import argparse
import importlib
import sys
import time
from pathlib import Path

from ._batch_cli import add_batch_commands, run as run_batch
from .reproduce import SECTIONS, Context, compare_key_figures, figure_index, markdown_table, side_by_side
from .utils._progress import progress, write


def _run_section(module, args, data_dir, out_dir, paper):
    """One run of a section; returns its context (with the key figures it recorded), rows and seconds."""
    ctx = Context(out_dir=out_dir, data_dir=data_dir, full=args.full, random_state=args.random_state,
                  verbose=not args.quiet, paper=paper)
    ctx.out_dir.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    rows = module.run(ctx)
    return ctx, rows, time.perf_counter() - start


def _rows_table(rows):
    return markdown_table(("quantity", "skastro", "paper", "note"),
                          [(r.quantity, r.ours, r.paper, r.note) for r in rows])


def _reproduce(args):
    out_root = Path(args.out)
    out_root.mkdir(parents=True, exist_ok=True)
    data_dir = Path(args.data_dir) if args.data_dir else None
    if data_dir is not None and not data_dir.is_dir():
        raise SystemExit(f"--data-dir {data_dir} is not a folder (see README: where the real data goes).")
    names = args.sections or SECTIONS
    unknown = sorted(set(names) - set(SECTIONS))
    if unknown:
        raise SystemExit(f"Unknown section(s) {unknown}; choose from {SECTIONS}.")
    config = ("paper presets, and skastro defaults beside them (side-by-side tables)" if args.paper
              else "skastro defaults")
    lines = ["# skastro reproduce", "",
             f"data: {'real data from ' + str(data_dir) if data_dir else 'built-in simulations only'}; "
             f"scale: {'full' if args.full else 'small'}; configuration: {config}; "
             f"random_state={args.random_state}", ""]
    # the tables go to stdout, the bar of the sections to stderr (not with --quiet)
    modules = {}
    for name in progress(names, verbose=not args.quiet, desc="skastro reproduce", unit="section"):
        module = importlib.import_module(f"skastro.reproduce._{name}")
        modules[name] = module
        write(f"== {module.TITLE}")
        ctx, rows, seconds = _run_section(module, args, data_dir, out_root / name, args.paper)
        key_figures = getattr(module, "KEY_FIGURES", None)
        if args.paper and key_figures:
            # the second configuration only with --paper: the default run stays one pass;
            # its figures go to a subfolder, the section's own folder keeps the paper preset's
            if not args.quiet:
                write("  again with skastro's defaults, for the side-by-side table")
            base, base_rows, base_seconds = _run_section(module, args, data_dir, ctx.out_dir / "defaults",
                                                         paper=False)
            timing = (f"(paper presets {seconds:.0f} s, figures in `{ctx.out_dir}`; skastro defaults "
                      f"{base_seconds:.0f} s, figures in `{base.out_dir}`)")
            body = ["### Key figures: the paper, its preset, skastro's defaults", "",
                    *side_by_side(compare_key_figures(key_figures, ctx.keys, base.keys)), "",
                    "### Every row, paper presets", "", *_rows_table(rows), "",
                    "### Every row, skastro defaults", "", *_rows_table(base_rows)]
        else:
            timing, body = f"({seconds:.0f} s; figures in `{ctx.out_dir}`)", _rows_table(rows)
        table = [f"## {module.TITLE}", "", timing, "", *body]
        write("\n".join(table[2:]) + "\n")
        lines += table + [""]
    lines += ["## Figure index", "", *figure_index(out_root, modules), ""]
    summary = out_root / "summary.md"
    summary.write_text("\n".join(lines))
    write(f"Summary written to {summary}")


def main(argv=None):
    # Help texts are plain text (argparse prints them as they are), not RST.
    parser = argparse.ArgumentParser(
        prog="skastro",
        description="skastro: scikit-learn estimators for time-domain astronomy. "
        "'skastro reproduce' runs the main job (see 'skastro reproduce --help').",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    rep = sub.add_parser(
        "reproduce",
        help="run small-scale versions of the papers' headline experiments",
        description="Run, on built-in simulated data (and on the real data with --data-dir), "
        "a small-scale version of each paper's headline experiment. For each section it "
        "prints a table of our figures beside the paper's, and writes the plots to "
        "OUT/SECTION/ and all the tables to OUT/summary.md.",
    )
    rep.add_argument("--out", default="skastro-output", help="output folder (default: %(default)s)")
    rep.add_argument("--data-dir", default=None,
                     help="folder holding plasticc/, css_fats/ and real/ (e.g. ../shared/data; "
                     "README: Real data); adds the real-data experiments")
    rep.add_argument("--sections", nargs="+", metavar="NAME",
                     help=f"run only these sections, in order, from: {', '.join(SECTIONS)} (default: all)")
    rep.add_argument("--full", action="store_true", help="paper-scale sizes (slow)")
    rep.add_argument("--paper", action="store_true",
                     help="configure each component by its paper preset (from_preset), and run the "
                     "sections that have presets once more with skastro's defaults: each such section "
                     "gets a table of its key figures, the paper's value beside both configurations "
                     "(about twice the run time; the defaults' figures go to OUT/SECTION/defaults/)")
    rep.add_argument("--random-state", type=int, default=0, help="seed of every section (default: %(default)s)")
    rep.add_argument("--quiet", action="store_true", help="print only the tables: no progress lines (stdout) nor bar (stderr)")
    add_batch_commands(sub)  # fold, novelty fit|score, vet (skastro._batch_cli)
    args = parser.parse_args(argv)
    if args.command == "reproduce":
        _reproduce(args)
    else:
        return run_batch(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
