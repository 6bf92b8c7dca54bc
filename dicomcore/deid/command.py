"""The `dicomcore deid` command: de-identify files and directories with one key.

    dicomcore deid IN... -o OUT (--key KEY | --key-file FILE) [--option NAME]...
                   [--safe-private '(gggg,"CREATOR",ee)']... [--allow-burned-in]
                   [--map MAP.csv] [--normalize] [--strict]

Directories are read recursively and written under OUT with the same relative paths (as
`patch`); exit codes as the other commands (1 when any file failed, 2 for usage). A summary
of what was removed, emptied, replaced and kept, per element kind, goes to stderr. `--map`
writes every replacement (original -> new) as CSV: it re-identifies patients, keep it as
PHI.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from ..dataset import Dataset
from ..filewriter import write_file
from .apply import deidentify
from .keyed import Keyed
from .profile import OPTIONS
from .report import ACTIONS, Report, write_map

__all__ = ["add_parser"]


def add_parser(commands: Any) -> argparse.ArgumentParser:
    """Add the `deid` subcommand to an argparse subparsers object."""
    deid = commands.add_parser("deid", help="de-identify by the PS3.15 basic profile")
    deid.add_argument("files", nargs="+", type=Path, help="files or directories")
    deid.add_argument("-o", "--output", type=Path, required=True,
                      help="output file (one input) or directory (several)")
    key = deid.add_mutually_exclusive_group(required=True)
    key.add_argument("--key", help="the secret key (visible in the process list: prefer "
                     "--key-file)")
    key.add_argument("--key-file", type=Path, help="a file holding the secret key")
    deid.add_argument("--option", action="append", default=[], choices=OPTIONS,
                      metavar="NAME", help=f"a profile option: {', '.join(OPTIONS)}")
    deid.add_argument("--safe-private", action="append", metavar='(gggg,"CREATOR",ee)',
                      help="a private element retain-safe-private keeps (repeat)")
    deid.add_argument("--allow-burned-in", action="store_true",
                      help="accept Burned In Annotation = YES (pixels are not cleaned)")
    deid.add_argument("--map", type=Path, metavar="MAP.csv",
                      help="write original -> new values as CSV (PHI)")
    deid.add_argument("--normalize", action="store_true",
                      help="write a clean standard file (write_like_original=False)")
    deid.set_defaults(run=run)
    return deid


def _key(args: argparse.Namespace) -> bytes | None:
    if args.key is not None:
        return args.key.encode("utf-8")
    try:
        return Path(args.key_file).read_bytes().rstrip(b"\r\n")
    except OSError as exc:
        print(f"dicomcore deid: {args.key_file}: {exc.strerror or exc}", file=sys.stderr)
        return None


def run(args: argparse.Namespace) -> int:
    """De-identify each input; the exit status."""
    from ..cli import _fail, _for_each, _many  # the shared loop of the commands

    key = _key(args)
    if key is None:
        return 1
    if not key:
        print("dicomcore deid: the key is empty", file=sys.stderr)
        return 2
    if ("retain-safe-private" in args.option) != (args.safe_private is not None):
        print("dicomcore deid: --option retain-safe-private and --safe-private go together",
              file=sys.stderr)
        return 2
    many = _many(args.files)
    reports: list[Report] = []
    keyed = Keyed(key)  # one for the run: each UID a study repeats is computed once

    def deid_one(path: Path, relative: Path, ds: Dataset) -> None:
        target = args.output / relative if many else args.output
        report = deidentify(ds, key=keyed, options=args.option,
                            safe_private=args.safe_private,
                            allow_burned_in=args.allow_burned_in)
        target.parent.mkdir(parents=True, exist_ok=True)
        write_file(target, ds, write_like_original=not args.normalize)
        reports.append(report)

    status = _for_each(args.files, False, deid_one, args.strict)
    _print_summary(reports)
    if args.map is not None:
        try:
            with open(args.map, "w", encoding="utf-8", newline="") as stream:
                write_map(stream, reports)
        except OSError as exc:
            _fail(args.map, exc)
            return 1
    return status


def _print_summary(reports: list[Report]) -> None:
    """One line per action: the total and the count of each element kind."""
    print(f"dicomcore deid: {len(reports)} file(s) de-identified", file=sys.stderr)
    for action in ACTIONS:
        counts: Counter[str] = Counter()
        for report in reports:
            counts.update(getattr(report, action))
        kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(counts.items()))
        print(f"  {action} {sum(counts.values())}" + (f": {kinds}" if kinds else ""),
              file=sys.stderr)
