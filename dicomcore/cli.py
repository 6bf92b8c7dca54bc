"""The `dicomcore` command line: dump, json and patch, for one file or many.

    dicomcore dump FILE... [--stop-before-pixels]
    dicomcore json FILE... [--simple] [--stop-before-pixels] [--include-meta]
    dicomcore patch FILE... PATCH.json -o OUT [--normalize] [--force]
    dicomcore deid FILE... -o OUT --key KEY | --key-file FILE [--option NAME]... [--map CSV]

Each command takes --strict. A file the reader had to recover from (cut short, for one) is
still processed, with one "warning:" line per recovery on stderr; with --strict it is a
failure instead (exit status 1, nothing printed or written for it).

FILE may be a directory (read recursively). With several files `json` prints JSON Lines
({"path": ..., "dataset": ...}) and `patch` writes into the directory OUT keeping relative
paths. Exit codes: 0 ok, 2 usage, 1 a file that is not DICOM or a patch that fails (one line
on stderr per problem; other files are still processed). A progress bar is shown on a
terminal when there is more than one file.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TextIO

from .dataset import Dataset
from .deid import command as deid_command
from .errors import DeferredValueError, DicomWarning, EncodeError, InvalidDicomError
from .filereader import read_file
from .filewriter import write_file
from .json import omit_bulk_data, to_json_dict, to_simple_dict
from .patch import PatchError, apply

__all__ = ["main"]

# DicomWarning: a recovery, raised as an error under --strict.
_FAILURES = (InvalidDicomError, PatchError, EncodeError, DeferredValueError, DicomWarning,
             OSError, ValueError)


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader of our output went away (`| head`): stop quietly, as cat does.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dicomcore", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)

    dump = commands.add_parser("dump", help="print the element tree, like dcmdump")
    dump.add_argument("files", nargs="+", type=Path)
    dump.add_argument("--stop-before-pixels", action="store_true")
    dump.set_defaults(run=_dump)

    as_json = commands.add_parser("json", help="print DICOM JSON (PS3.18 F)")
    as_json.add_argument("files", nargs="+", type=Path)
    as_json.add_argument("--simple", action="store_true", help="keyword view for people")
    as_json.add_argument("--stop-before-pixels", action="store_true")
    as_json.add_argument("--include-meta", action="store_true", help="include group 0002")
    as_json.add_argument("--bulk-data-threshold", type=int, default=1024, metavar="N",
                         help="binary values over N base64 characters are left out")
    as_json.add_argument("--inline-bulk", action="store_true",
                         help="keep binary values over N characters as InlineBinary")
    as_json.set_defaults(run=_json)

    patch = commands.add_parser("patch", help="apply a patch and write the result")
    patch.add_argument("files", nargs="+", type=Path, help="files or directories, then PATCH")
    patch.add_argument("-o", "--output", type=Path, required=True,
                       help="output file (one input) or directory (several)")
    patch.add_argument("--normalize", action="store_true",
                       help="write a clean standard file (write_like_original=False)")
    patch.add_argument("--force", action="store_true",
                       help="allow changes to file meta and pixel description")
    patch.set_defaults(run=_patch)
    deid = deid_command.add_parser(commands)
    for command in (dump, as_json, patch, deid):
        command.add_argument("--strict", action="store_true",
                             help="fail on a file the reader had to recover from")
    return parser


def _inputs(paths: list[Path]) -> list[tuple[Path, Path]]:
    """(file, path relative to the argument it came from) for files and directory trees."""
    found = []
    for path in paths:
        if path.is_dir():
            for root, _, names in sorted(os.walk(path)):
                for name in sorted(names):
                    file = Path(root) / name
                    found.append((file, file.relative_to(path)))
        else:
            found.append((path, Path(path.name)))
    return found


def _fail(path: Path, exc: BaseException) -> None:
    message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if isinstance(exc, DicomWarning):
        message = f"refused (--strict): {message}"
    print(f"dicomcore: {path}: {message}", file=sys.stderr)


class _Progress:
    """A one-line progress bar on stderr, only when it is a terminal."""

    def __init__(self, total: int, stream: TextIO = sys.stderr) -> None:
        self.total = total
        self.stream = stream
        self.shown = total > 1 and stream.isatty()
        self.done = 0

    def step(self) -> None:
        self.done += 1
        if self.shown:
            width = 30
            filled = width * self.done // self.total
            self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] "
                              f"{self.done}/{self.total}")
            if self.done == self.total:
                self.stream.write("\n")
            self.stream.flush()


def _each(paths: list[Path], stop_before_pixels: bool = False
          ) -> Iterator[tuple[Path, Path, Dataset | None]]:
    files = _inputs(paths)
    progress = _Progress(len(files))
    for path, relative in files:
        try:
            ds: Dataset | None = read_file(path, stop_before_pixels=stop_before_pixels,
                                           defer_size="1 MB")
        except _FAILURES as exc:
            _fail(path, exc)
            ds = None
        yield path, relative, ds
        progress.step()


def _for_each(paths: list[Path], stop_before_pixels: bool,
              action: Callable[[Path, Path, Dataset], None], strict: bool = False) -> int:
    """Run `action` on each readable file; report failures one line each and each recovery
    (a DicomWarning) as a warning line, or with `strict` as a failure; the exit status."""
    status = 0
    with warnings.catch_warnings(record=True) as recovered:
        warnings.simplefilter("error" if strict else "always", DicomWarning)
        for path, relative, ds in _each(paths, stop_before_pixels):
            if ds is None:
                status = 1
            else:
                try:
                    action(path, relative, ds)
                except BrokenPipeError:
                    raise
                except _FAILURES as exc:
                    _fail(path, exc)
                    status = 1
            for warning in recovered:
                if issubclass(warning.category, DicomWarning) and ds is not None:
                    print(f"dicomcore: {path}: warning: {warning.message}", file=sys.stderr)
            recovered.clear()
    return status


def _many(paths: list[Path]) -> bool:
    return len(paths) > 1 or any(p.is_dir() for p in paths)


def _dump(args: argparse.Namespace) -> int:
    many = _many(args.files)

    def dump(path: Path, _: Path, ds: Dataset) -> None:
        if many:
            print(f"# {path}")
        print(ds)  # a FileDataset prints its file meta first

    return _for_each(args.files, args.stop_before_pixels, dump, args.strict)


def _json(args: argparse.Namespace) -> int:
    many = _many(args.files)

    def show(path: Path, _: Path, ds: Dataset) -> None:
        model: Any = (to_simple_dict(ds, args.include_meta) if args.simple else
                      to_json_dict(ds, args.bulk_data_threshold,
                                   None if args.inline_bulk else omit_bulk_data,
                                   include_meta=args.include_meta))
        if many:
            print(json.dumps({"path": str(path), "dataset": model}, ensure_ascii=False))
        else:
            print(json.dumps(model, indent=2, ensure_ascii=False))

    return _for_each(args.files, args.stop_before_pixels, show, args.strict)


def _patch(args: argparse.Namespace) -> int:
    if len(args.files) < 2:
        print("dicomcore patch: give one or more files and then the patch", file=sys.stderr)
        return 2
    *inputs, patch_path = args.files
    try:
        patch = json.loads(Path(patch_path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        _fail(patch_path, exc)
        return 1
    many = _many(inputs)

    def patch_one(path: Path, relative: Path, ds: Dataset) -> None:
        target = args.output / relative if many else args.output
        apply(ds, patch, force=args.force)
        target.parent.mkdir(parents=True, exist_ok=True)
        write_file(target, ds, write_like_original=not args.normalize)

    return _for_each(inputs, False, patch_one, args.strict)


if __name__ == "__main__":
    sys.exit(main())
