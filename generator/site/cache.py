"""The build cache: what the previous build of an output folder rendered, so a rebuild renders
only the campaigns whose inputs changed and hard-links the others' files from the previous
output into the staging folder (the swap stays atomic; a failed build changes nothing).

It lives beside the output folder, `.<out>.tmp-cache/` (ignored like the staging folders, and
never published). Safe to delete at any time: the next build is then a clean one.

- `shared` key: everything every page depends on (optin's code and its libraries' versions, the
  project settings, every theme and locale file, the build's options). A change empties the cache.
- campaign key: the campaign file and every file it names (logo, hero, images), its approval
  file and notice archive. Unchanged: the loaded campaign is reused (no parse, no validation)
  and, when the previous output still holds its files unchanged (size and mtime), so are they.

The index is a pickle, like Python's own bytecode cache: it sits with the project's output and
is read only by optin.
"""
from __future__ import annotations

import dataclasses
import hashlib
import os
import pickle
import shutil
import sys
from pathlib import Path

from generator import files

FORMAT = 1
INDEX = "index.pickle"
_MISSING = b"\0missing"


def folder_for(out_dir: Path) -> Path:
    return out_dir.parent / f".{out_dir.name}.tmp-cache"


def _feed(digest, path: Path) -> None:
    """A file's bytes, a folder's files (names and bytes, in order), or 'missing'."""
    digest.update(str(path).encode() + b"\0")
    if path.is_dir():
        for sub in sorted(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            digest.update(str(sub.relative_to(path)).encode() + b"\0")
            digest.update(sub.read_bytes())
    elif path.is_file():
        digest.update(path.read_bytes())
    else:
        digest.update(_MISSING)


def key(paths, *extra: str) -> str:
    digest = hashlib.sha256("\0".join((str(FORMAT), sys.version, *extra)).encode())
    for path in paths:
        _feed(digest, Path(path))
    return digest.hexdigest()


def named_files(value, seen=None) -> list[Path]:
    """Every path inside a loaded campaign (logo, hero, images...), wherever the model keeps it."""
    seen = set() if seen is None else seen
    if isinstance(value, Path):
        return [value]
    if id(value) in seen or isinstance(value, (str, bytes, int, float, bool, type(None))):
        return []
    seen.add(id(value))
    if dataclasses.is_dataclass(value):
        items = [getattr(value, f.name) for f in dataclasses.fields(value)]
    elif isinstance(value, dict):
        items = [*value.keys(), *value.values()]
    elif isinstance(value, (list, tuple, set, frozenset)):
        items = list(value)
    else:
        return []
    return [p for item in items for p in named_files(item, seen)]


@dataclasses.dataclass
class Record:
    """One campaign as the previous build left it."""

    key: str
    inputs: tuple[str, ...]  # the files `key` covers
    campaign: object  # the loaded Campaign
    files: dict[str, tuple[int, int]]  # output path (relative) -> (size, mtime_ns)
    extra: dict  # what the build reuses without rendering (pages, warnings, ...)
    blob: bytes = b""  # pickled, loaded only when asked for (views, legal texts); kept in blobs/<key>


class BuildCache:
    def __init__(self, out_dir: Path, shared: str, enabled: bool = True):
        self.out_dir, self.shared, self.enabled = out_dir, shared, enabled
        self.folder = folder_for(out_dir)
        self.old: dict[str, Record] = {}
        self.new: dict[str, Record] = {}
        if enabled:
            try:
                data = pickle.loads((self.folder / INDEX).read_bytes())
                if data.get("shared") == shared and out_dir.is_dir():
                    self.old = data["records"]
            except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, KeyError, TypeError):
                self.old = {}  # no cache, another optin's, or damaged: a clean build

    def record(self, source: Path) -> Record | None:
        """The previous build's record of `source` when none of its inputs changed, else None."""
        record = self.old.get(str(source))
        if record is None or key(record.inputs, self.shared) != record.key:
            self.old.pop(str(source), None)
            return None
        return record

    def reuse(self, source: Path, site: Path) -> Record | None:
        """Hard-link the campaign's previous output into `site`; None (nothing linked) when the
        previous output lacks a file or one was changed since."""
        record = self.old.get(str(source))
        if record is None or not self._blob_path(record).is_file():
            return None
        linked: list[str] = []
        old_root, new_root, made = str(self.out_dir), str(site), set()
        try:  # os.path on strings: ~60 files per campaign, thousands per build
            for rel, stamp in record.files.items():
                old, new = os.path.join(old_root, rel), os.path.join(new_root, rel)
                stat = os.stat(old)
                if (stat.st_size, stat.st_mtime_ns) != stamp:
                    raise FileNotFoundError(rel)
                parent = os.path.dirname(new)
                if parent not in made:
                    os.makedirs(parent, exist_ok=True)
                    made.add(parent)
                try:
                    os.link(old, new)
                except OSError:  # a file system without hard links
                    shutil.copy2(old, new)
                    record.files[rel] = _stamp(Path(new))
                linked.append(new)
        except OSError:
            for path in linked:
                os.unlink(path)
            return None
        self.new[str(source)] = record
        return record

    def inputs(self, source: Path, named: list[Path]) -> tuple[tuple[str, ...], str]:
        """The input files of a campaign just loaded and their key (hashed now, as loaded)."""
        paths = tuple(dict.fromkeys(str(p) for p in [source, *named]))
        return paths, key(paths, self.shared) if self.enabled else ""

    def keep(self, source: Path, campaign, inputs: tuple[tuple[str, ...], str], site: Path, folders: list[str],
             extra: dict, blob: bytes) -> None:
        """Remember a campaign rendered into `site` (its files: everything under `folders`)."""
        if not self.enabled:
            return
        out = {}
        for name in folders:
            base = site / name
            for root, _dirs, names in os.walk(base):
                for file in names:
                    path = Path(root) / file
                    out[str(path.relative_to(site))] = _stamp(path)
        self.new[str(source)] = Record(inputs[1], inputs[0], campaign, out, extra, blob)

    def _blob_path(self, record: Record) -> Path:
        return self.folder / "blobs" / f"{record.key}.pickle"

    def blob(self, record: Record):
        return pickle.loads(record.blob or self._blob_path(record).read_bytes())

    def save(self) -> None:
        """After the swap: the index of what the output now holds, and the blobs it names. A
        cache that cannot be written (a read-only folder, a full disk) only makes the next
        build a clean one."""
        if not self.enabled:
            return
        try:
            self._save()
        except OSError:
            shutil.rmtree(self.folder, ignore_errors=True)

    def _save(self) -> None:
        (self.folder / "blobs").mkdir(parents=True, exist_ok=True)
        for record in self.new.values():
            if record.blob:
                files.write_atomic(self._blob_path(record), record.blob)
        index = {source: dataclasses.replace(record, blob=b"") for source, record in self.new.items()}
        data = pickle.dumps({"shared": self.shared, "records": index}, protocol=pickle.HIGHEST_PROTOCOL)
        files.write_atomic(self.folder / INDEX, data)
        wanted = {self._blob_path(r).name for r in index.values()}
        for old in (self.folder / "blobs").iterdir():
            if old.name not in wanted:
                old.unlink(missing_ok=True)


def _stamp(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns


class LazyViews(dict):
    """campaign id -> value, some loaded only when asked for (a reused campaign's views)."""

    def __init__(self):
        super().__init__()
        self._later: dict = {}

    def later(self, name: str, load) -> None:
        self._later[name] = load

    def __missing__(self, name):
        if name not in self._later:
            raise KeyError(name)
        value = self[name] = self._later.pop(name)()
        return value

    def _all(self) -> None:
        for name in list(self._later):
            self[name]

    def __contains__(self, name):
        return super().__contains__(name) or name in self._later

    def __iter__(self):
        self._all()
        return super().__iter__()

    def __len__(self):
        return super().__len__() + len(self._later)

    def keys(self):
        self._all()
        return super().keys()

    def values(self):
        self._all()
        return super().values()

    def items(self):
        self._all()
        return super().items()

    def get(self, name, default=None):
        return self[name] if name in self else default

    def __eq__(self, other):
        self._all()
        if isinstance(other, LazyViews):
            other._all()
        return dict.__eq__(self, other)

    __hash__ = None

    def __repr__(self):
        self._all()
        return dict.__repr__(self)
