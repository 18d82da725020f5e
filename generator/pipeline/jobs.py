"""A build's per-campaign work (views, pages, legal texts, versions.json), done once per
campaign whether in this process, in worker processes (parallel.py), or not at all when the
build cache (site/cache.py) holds the campaign's unchanged output from the previous build.

Every campaign is done in full before the next one (views, then pages), in campaign order, so
the first problem found is the same however the build runs.
"""
from __future__ import annotations

import os
import pickle
import sys
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from functools import cache as once
from pathlib import Path

import generator
from generator.campaign.model import Campaign, Endpoints, load
from generator.legal import approval, archive
from generator.legal.texts import all_texts
from generator.project import Project
from generator.pipeline import parallel
from generator.site import cache, notice_cache, notices, published, qr
from generator.site.build import SiteWriter, campaign_folders, expected_pages
from generator.site.views import resolve_all


class LazyViews(MutableMapping):
    """campaign id -> value, some loaded only when first asked for (a reused campaign's views)."""

    def __init__(self):
        self._values: dict = {}
        self._later: dict = {}

    def later(self, name: str, load) -> None:
        self._later[name] = load

    def __getitem__(self, name):
        if name not in self._values:
            self._values[name] = self._later.pop(name)()  # KeyError: neither loaded nor to load
        return self._values[name]

    def __setitem__(self, name, value) -> None:
        self._later.pop(name, None)
        self._values[name] = value

    def __delitem__(self, name) -> None:
        if self._later.pop(name, None) is None:
            del self._values[name]

    def __iter__(self):
        return iter([*self._values, *self._later])

    def __len__(self) -> int:
        return len(self._values) + len(self._later)

    def __contains__(self, name) -> bool:
        return name in self._values or name in self._later

    def __repr__(self) -> str:
        return repr(dict(self.items()))


@dataclass
class Done:
    """One campaign built: what the rest of the build needs from it."""

    pages: int
    warnings: list[str]  # from its messages (an SMS too long, no templates)
    legal: list[str]  # its legal texts that differ from the approved ones
    embed: object  # embed.Embed: who may frame its pages
    versions: dict = field(default_factory=dict)  # locale -> {notice, wording}: what the receiver accepts
    views: dict | None = None
    texts: dict | None = None
    blob: bytes = b""  # (views, texts) pickled, from a worker process
    load: object = None  # () -> (views, texts), when they are not loaded yet


@dataclass
class Rendered:
    pages: int = 0
    warnings: list[str] = field(default_factory=list)
    legal: list[str] = field(default_factory=list)
    views: LazyViews = field(default_factory=LazyViews)
    texts: LazyViews = field(default_factory=LazyViews)
    versions: dict = field(default_factory=dict)  # campaign id -> Done.versions (no views unpickled)


@once
def library_versions() -> tuple[str, ...]:
    """Every installed distribution with its version ('Jinja2-3.1.4.dist-info'), from the names
    of the import path's metadata folders: any library's upgrade is a new key (importlib.metadata
    would cost more than the rest of a rebuild's bookkeeping)."""
    found: set[str] = set()
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:  # a zip file, a missing folder
            continue
        found.update(name for name in names if name.endswith((".dist-info", ".egg-info")))
    return tuple(sorted(found))


def qr_salt() -> str:
    """What a finished QR code depends on besides its address: the encoder (segno's version and
    optin's code), so a previous build's codes serve as long as it is the same."""
    site = Path(generator.__file__).parent / "site"
    return cache.key([site / "qr.py", site / "qr_matrix.py", site / "qr_png.py"], *library_versions())


def shared_key(project: Project, strict: bool, endpoints: Endpoints | None, publishing: bool) -> str:
    """What every page depends on: optin's code and libraries, the project's settings, themes
    and locales, the build's options."""
    versions = library_versions()
    paths = [Path(generator.__file__).parent, *project.theme_dirs, *project.locales.dirs]
    if project.config_file is not None:
        paths.append(project.config_file)
    return cache.key(paths, *versions, repr(project.settings), repr(project.receiver),
                     repr((strict, endpoints, publishing)))


def loader(build_cache: cache.BuildCache, loaded: dict[str, tuple], reused: set[str], project: Project,
           paths: list[Path]):
    """campaign.model.load, answered from the cache for campaign files whose inputs did not
    change (the others are read and validated up front, on every core when there are many);
    `loaded`: source -> (campaign as loaded, its input files and key)."""
    records = {str(p): build_cache.record(p) for p in paths}
    todo = [p for p in paths if records[str(p)] is None]
    early = {}
    if parallel.workers(len(todo)) > 1:
        early = {str(todo[i]): found for i, found in parallel.ordered(lambda i: load(todo[i], project), len(todo),
                                                                      parallel.workers(len(todo))) if found}

    def load_one(path: Path, project: Project):
        record = records.get(str(path)) or build_cache.record(path)
        if record is not None:
            reused.add(str(path))
            loaded[str(path)] = (record.campaign, (record.inputs, record.key, record.stamps))
            return record.campaign, []
        found = early.pop(str(path), None) or load(path, project)
        if found[0] is not None:
            loaded[str(path)] = (found[0], build_cache.inputs(path, inputs(found[0])))
        return found
    return load_one


def inputs(campaign: Campaign) -> list[Path]:
    """The files a campaign's output depends on besides its own file."""
    return [*cache.named_files(campaign), approval.lock_path(campaign), published.archive_dir(campaign)]


def render(project: Project, writer: SiteWriter, campaign: Campaign) -> Done:
    """One campaign into writer.site, the same in this process and in a worker."""
    views = resolve_all(campaign, project.locales)
    earlier = archive.earlier_versions(campaign, views)  # old records link them
    pages, warnings, embed = writer.write_campaign(campaign, views, earlier)
    texts = all_texts(campaign, views, project.locales, writer.site)
    legal = approval.check(campaign, texts)
    versions = published.current(views)
    published.write_site(writer.site, campaign.id, published.read(archive.archive_dir(campaign)), versions)
    return Done(pages, warnings, legal, embed, versions, views, texts)


def render_all(project: Project, campaigns: list[Campaign], site: Path, build_cache: cache.BuildCache,
               loaded: dict[str, tuple], reused: set[str], progress=None) -> Rendered:
    """Every campaign into `site`: reused ones left in the previous output (build_cache.kept),
    the others rendered (on every core when there are many); then what spans campaigns."""
    writer = SiteWriter(project, site, build_cache.folder / "jinja" / "themes" if build_cache.enabled else None)
    if build_cache.enabled:
        notices.use_bytecode_cache(project.locales, build_cache.folder / "jinja" / "notices")
    notice_cache.use_store(build_cache.memo.setdefault("notices", {}) if build_cache.enabled else None)
    qr.use_cache(_previous_codes(build_cache) if build_cache.enabled else None)
    try:
        return _render_all(project, campaigns, site, build_cache, loaded, reused, writer, progress)
    finally:
        qr.use_cache(None)  # this build's previous output only


def _render_all(project: Project, campaigns: list[Campaign], site: Path, build_cache: cache.BuildCache,
                loaded: dict[str, tuple], reused: set[str], writer: SiteWriter, progress) -> Rendered:
    done: dict[str, Done] = {}
    for name in dict.fromkeys(c.theme for c in campaigns):
        writer.theme(name)  # the themes' static files first, as in any build
    themes = set(os.listdir(site / "assets"))  # a theme folder named like a campaign: the two merge
    for campaign in campaigns:
        folders = campaign_folders(campaign.id)
        record = build_cache.reuse(campaign.source, folders) \
            if str(campaign.source) in reused and campaign.id not in themes else None
        if record is not None:
            done[campaign.id] = Done(**record.extra, load=once(lambda r=record: build_cache.blob(r)))
    todo = [c for c in campaigns if c.id not in done]
    processes = parallel.workers(len(todo))
    if processes > 1:  # the first campaign here warms every cache (templates, notices) the workers inherit
        _keep(build_cache, writer, todo[0], loaded, render(project, writer, todo[0]), done)
        for name in dict.fromkeys(c.theme for c in todo):
            writer.theme(name)[0].compile_all()
        rest = todo[1:]
        for index, result in parallel.ordered(lambda i: _pickled(render(project, writer, rest[i])),
                                               len(rest), processes):
            if result is None:  # failed in the worker: again here, to raise its error
                result = render(project, writer, rest[index])
            _keep(build_cache, writer, rest[index], loaded, result, done)
            _progress(progress, campaigns, done)
    else:
        for campaign in todo:
            _keep(build_cache, writer, campaign, loaded, render(project, writer, campaign), done)
            _progress(progress, campaigns, done)
    out = Rendered()
    for campaign in campaigns:
        item = done[campaign.id]
        out.pages += item.pages
        out.warnings += item.warnings
        out.legal += item.legal
        out.versions[campaign.id] = item.versions
        if item.views is not None:
            out.views[campaign.id], out.texts[campaign.id] = item.views, item.texts
        else:
            out.views.later(campaign.id, lambda load=item.load: load()[0])
            out.texts.later(campaign.id, lambda load=item.load: load()[1])
    out.pages += writer.write_site(campaigns, {c.id: done[c.id].embed for c in campaigns})
    return out


def _previous_codes(build_cache: cache.BuildCache):
    """qr.use_cache's lookup: a code the previous output holds for the same address, unchanged."""
    where = {}
    for record in build_cache.previous.values():
        campaign = record.campaign
        for lang in campaign.locales if campaign.base_url else ():
            where[qr.signup_url(campaign, lang)] = (record, f"{campaign.id}/{lang}")

    def lookup(url: str) -> dict[str, bytes] | None:
        if url not in where:
            return None
        record, folder = where[url]
        found = {name: build_cache.output(record, folder, name) for name in (qr.QR_SVG, qr.QR_PNG)}
        return None if None in found.values() else found
    return lookup


def _pickled(result: Done) -> Done:
    """A worker's result, its views and texts as one pickle (unpickled only when asked for)."""
    result.blob = pickle.dumps((result.views, result.texts), protocol=pickle.HIGHEST_PROTOCOL)
    result.views = result.texts = None
    return result


def _keep(build_cache: cache.BuildCache, writer: SiteWriter, campaign: Campaign, loaded: dict[str, tuple],
          result: Done, done: dict[str, Done]) -> None:
    if result.views is None:
        result.load = once(lambda blob=result.blob: pickle.loads(blob))
    elif build_cache.enabled:
        result.blob = pickle.dumps((result.views, result.texts), protocol=pickle.HIGHEST_PROTOCOL)
    done[campaign.id] = result
    extra = {"pages": result.pages, "warnings": result.warnings, "legal": result.legal, "embed": result.embed,
             "versions": result.versions}
    if str(campaign.source) in loaded:
        as_loaded, files = loaded[str(campaign.source)]
        build_cache.keep(campaign.source, as_loaded, files, writer.site, campaign_folders(campaign.id), extra,
                         result.blob)
    result.blob = b""  # the cache keeps it until saved


def _progress(progress, campaigns: list[Campaign], done: dict[str, Done]) -> None:
    if progress:
        progress(len(done), len(campaigns), sum(d.pages for d in done.values()), expected_pages(campaigns))
