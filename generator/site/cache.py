"""The build cache: what the previous build of an output folder rendered, so a rebuild renders
only the campaigns whose inputs changed and leaves the others' files where they are.

It lives beside the output folder, `.<out>.tmp-cache/` (ignored like the staging folders, and
never published). Safe to delete at any time: the next build is then a clean one.

- `shared` key: everything every page depends on (optin's code and its libraries' versions, the
  project settings, every theme and locale file, the build's options). A change empties the cache.
- campaign key: the campaign file and every file it names (logo, hero, images), its approval
  file and notice archive. Unchanged: the loaded campaign is reused (no parse, no validation)
  and, when the output still holds its files as the build left them (every file's size and
  mtime, every folder's mtime: nothing edited, added or removed), so are they.
- Files are hashed only when their stat (size, mtime, ctime, inode) changed since they were
  hashed; ctime cannot be set back by hand, so an edit is always seen.

A rebuild that reuses campaigns writes only the others and the site-wide files into a staging
folder; site/output.py's `commit` then moves them into the output, in place of the old ones.
Everything that can fail (loading, rendering, --strict) comes before: a failed build changes
nothing.

The index is a pickle, like Python's own bytecode cache, read only by optin; a process that
builds again (optin serve) keeps what it saved instead of reading it back.
"""
from __future__ import annotations

import dataclasses
import hashlib
import os
import pickle
import shutil
import sys
import time
from array import array
from pathlib import Path

from generator import files

FORMAT = 2
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


def stamp(path: str) -> tuple | None:
    """What changes whenever a file's bytes do, or a folder's files: (name, size, mtime, ctime,
    inode) of it and of everything in it; None when missing."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    found = [("", st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)]
    if os.path.isdir(path):
        for root, dirs, names in os.walk(path):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for name in sorted(names) + dirs:
                sub = os.path.join(root, name)
                try:
                    st = os.stat(sub)
                except OSError:
                    continue
                found.append((os.path.relpath(sub, path), st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino))
    return tuple(found)


def stamps(paths) -> tuple:
    return tuple(stamp(str(p)) for p in paths)


def _recent(found: tuple, window_ns: int = 2 * 10**9) -> bool:
    """A stamp too fresh to trust: file times tick coarsely, so a second change within the same
    tick could keep them (git's "racy" index entries); such files are hashed again next time."""
    return any(time.time_ns() - max(e[2], e[3]) < window_ns for item in found if item for e in item)


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
    files: dict[str, tuple[tuple[str, ...], array]]  # output folder (relative) -> (names, sizes and mtimes)
    extra: dict  # what the build reuses without rendering (pages, warnings, ...)
    blob: bytes = b""  # pickled, loaded only when asked for (views, legal texts); kept in blobs/<key>
    stamps: tuple = ()  # the inputs' stamps when `key` was hashed
    folders: dict[str, int] = dataclasses.field(default_factory=dict)  # output folder -> its mtime_ns


_saved: dict[str, tuple] = {}  # index path -> (its stamp, data, records) as this process saved it


class BuildCache:
    def __init__(self, out_dir: Path, shared: str, enabled: bool = True, outputs: str = ""):
        """`outputs`: the key of outputs that depend on nothing `shared` covers but optin's code
        and libraries (QR codes): the previous build's are found (`previous`) even when the
        rest of the cache is out of date."""
        self.out_dir, self.shared, self.enabled, self.outputs = out_dir, shared, enabled, outputs
        self.folder = folder_for(out_dir)
        self.old: dict[str, Record] = {}
        self.previous: dict[str, Record] = {}  # what the output holds now, whatever changed since
        self.new: dict[str, Record] = {}
        self.kept: list[str] = []  # output folders left in place (the reused campaigns')
        self.memo: dict = {}  # what the build keeps from one run to the next (translation warnings...)
        self._pickled: dict[int, bytes] = {}  # id(record) -> its bytes in the index, while unchanged
        if enabled:
            try:
                data, held = self._index()
                same, same_outputs = data.get("shared") == shared, bool(outputs) and data.get("outputs") == outputs
                usable = out_dir.is_dir() and (same or same_outputs)
                records = {} if not usable else dict(held) if held is not None else {
                    source: pickle.loads(raw) for source, raw in data["records"].items()}
                if same_outputs:
                    self.previous = dict(records)
                if same and usable:
                    self.old, self.memo = records, data.get("memo", {})
                    self._pickled = {id(records[source]): raw for source, raw in data["records"].items()}
            except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, KeyError, TypeError,
                    ValueError):
                self.old, self.previous = {}, {}  # no cache, another optin's, or damaged: a clean build

    def _index(self) -> tuple[dict, dict[str, Record] | None]:
        """The saved index, and its records when this process saved it (None: unpickle them)."""
        with open(self.folder / INDEX, "rb") as file:
            st, held = os.fstat(file.fileno()), _saved.get(str(self.folder / INDEX))
            if held is not None and held[0] == (st.st_size, st.st_mtime_ns, st.st_ino):
                return held[1], held[2]
            return pickle.loads(file.read()), None

    def record(self, source: Path) -> Record | None:
        """The previous build's record of `source` when none of its inputs changed, else None."""
        record = self.old.get(str(source))
        if record is None:
            return None
        now = stamps(record.inputs)
        if now == record.stamps:
            return record
        if key(record.inputs, self.shared) != record.key:
            self.old.pop(str(source), None)
            return None
        record.stamps = () if _recent(now) else now  # touched, not changed
        self._pickled.pop(id(record), None)
        return record

    def reuse(self, source: Path, folders: list[str]) -> Record | None:
        """The previous record when the output holds the campaign's files as that build left
        them (they stay where they are); None: render it again."""
        record = self.old.get(str(source))
        if record is None or not record.folders or not self._blob_path(record).is_file():
            return None
        if not _unchanged(str(self.out_dir), record):
            return None
        self.new[str(source)] = record
        self.kept += folders
        return record

    def inputs(self, source: Path, named: list[Path]) -> tuple[tuple[str, ...], str, tuple]:
        """The input files of a campaign just loaded, their key (hashed now) and stamps."""
        paths = tuple(dict.fromkeys(str(p) for p in [source, *named]))
        if not self.enabled:
            return paths, "", ()
        found = stamps(paths)  # before hashing: a change after it shows next time
        if _recent(found):  # changed within the clock's tick: a second change might not show
            found = ()
        return paths, key(paths, self.shared), found

    def keep(self, source: Path, campaign, inputs: tuple, site: Path, folders: list[str],
             extra: dict, blob: bytes) -> None:
        """Remember a campaign rendered into `site` (its files: everything under `folders`)."""
        if not self.enabled:
            return
        out, dirs = {}, {}
        root_len = len(str(site)) + 1
        for name in folders:
            for root, _dirs, names in os.walk(os.path.join(str(site), name)):
                dirs[root[root_len:]] = 0  # stamped where it ends up, when the build is done (save)
                found = array("q")
                for file in names:
                    st = os.stat(os.path.join(root, file))
                    found += array("q", (st.st_size, st.st_mtime_ns))
                out[root[root_len:]] = (tuple(names), found)
        self.new[str(source)] = Record(inputs[1], inputs[0], campaign, out, extra, blob, inputs[2], dirs)

    def output(self, record: Record, folder: str, name: str) -> bytes | None:
        """A file of a previous record as that build wrote it (None: gone or changed since)."""
        names, found = record.files.get(folder, ((), ()))
        if name not in names:
            return None
        k = names.index(name)
        path = os.path.join(str(self.out_dir), folder, name)
        try:
            with open(path, "rb") as file:
                st = os.fstat(file.fileno())
                if (st.st_size, st.st_mtime_ns) != (found[2 * k], found[2 * k + 1]):
                    return None
                return file.read()
        except OSError:
            return None

    def _blob_path(self, record: Record) -> Path:
        return self.folder / "blobs" / f"{record.key}.pickle"

    def blob(self, record: Record):
        return pickle.loads(record.blob or self._blob_path(record).read_bytes())

    def save(self) -> None:
        """After the output is in place: the index of what it now holds, and the blobs it
        names. A cache that cannot be written (a read-only folder, a full disk) only makes the
        next build a clean one."""
        if not self.enabled:
            return
        try:
            self._save()
        except OSError:
            shutil.rmtree(self.folder, ignore_errors=True)

    def _save(self) -> None:
        (self.folder / "blobs").mkdir(parents=True, exist_ok=True)
        root = str(self.out_dir)
        for record in self.new.values():
            if record.blob:
                files.write_atomic(self._blob_path(record), record.blob)
            for rel, mtime in record.folders.items():
                if not mtime:  # rendered now: its folders' times as they are in the output
                    record.folders[rel] = os.stat(os.path.join(root, rel)).st_mtime_ns
        index = {source: self._pickled.get(id(record)) or pickle.dumps(dataclasses.replace(record, blob=b""),
                                                                       protocol=pickle.HIGHEST_PROTOCOL)
                 for source, record in self.new.items()}  # an unchanged record: the bytes it was read from
        data = pickle.dumps({"shared": self.shared, "outputs": self.outputs, "records": index, "memo": self.memo},
                            protocol=pickle.HIGHEST_PROTOCOL)
        files.write_atomic(self.folder / INDEX, data)
        st, held = os.stat(self.folder / INDEX), {s: dataclasses.replace(r, blob=b"") for s, r in self.new.items()}
        _saved[str(self.folder / INDEX)] = ((st.st_size, st.st_mtime_ns, st.st_ino), {
            "shared": self.shared, "outputs": self.outputs, "records": index, "memo": self.memo}, held)
        wanted = {self._blob_path(r).name for r in self.new.values()}
        for old in (self.folder / "blobs").iterdir():
            if old.name not in wanted:
                old.unlink(missing_ok=True)


def _unchanged(root: str, record: Record) -> bool:
    """Whether the output holds the record's files as that build left them: every folder's
    mtime (nothing added, removed or renamed) and every file's size and mtime (nothing edited)."""
    try:
        for rel, mtime in record.folders.items():
            fd = os.open(os.path.join(root, rel), os.O_RDONLY | os.O_DIRECTORY)
            try:  # names relative to the open folder: thousands of files per build
                if os.stat(fd).st_mtime_ns != mtime:
                    return False
                names, stamps_ = record.files.get(rel, ((), ()))
                for k, name in enumerate(names):
                    st = os.stat(name, dir_fd=fd)
                    if st.st_size != stamps_[2 * k] or st.st_mtime_ns != stamps_[2 * k + 1]:
                        return False
            finally:
                os.close(fd)
    except OSError:
        return False
    return True
