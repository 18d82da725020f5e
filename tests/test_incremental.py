"""Incremental builds (site/cache.py, pipeline/jobs.py): after any kind of change, a rebuild
gives byte for byte the output (and the warnings) of a clean build of the same inputs; a failed
rebuild leaves the previous output as it was; a deleted campaign's pages go away."""
from __future__ import annotations

import os
import shutil
from collections import OrderedDict
from pathlib import Path
from unittest import mock

import pytest
from support.projects import REPO, copy_examples

from generator.errors import OptinError
from generator.pipeline import build as pipeline
from generator.pipeline import parallel
from generator.project import Project
from generator.site import cache, notice_cache, output, published, qr_matrix

ROOTS = REPO / "tests" / "roots"


@pytest.fixture
def root(tmp_path) -> Path:
    """The override project (its own catalog, notice and child theme) plus the example campaigns."""
    root = tmp_path / "project"
    shutil.copytree(ROOTS / "override", root)
    copy_examples(root / "campaigns")
    (root / "locales" / "nb" / "notice.md").write_bytes((REPO / "locales" / "nb" / "notice.md").read_bytes())
    return root


def run(root: Path, out: Path | None = None):
    return pipeline.build(Project.find(root), out_dir=out)


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def inodes(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_ino for p in folder.rglob("*") if p.is_file()}


def same_as_clean(root: Path, result) -> None:
    clean = run(root, root.parent / "clean")
    assert tree(result.out_dir) == tree(clean.out_dir)
    assert (result.warnings, result.pages) == (clean.warnings, clean.pages)
    for campaign in clean.campaigns:
        assert result.views[campaign.id] == clean.views[campaign.id]
        assert result.texts[campaign.id] == clean.texts[campaign.id]
        assert result.versions[campaign.id] == published.current(clean.views[campaign.id])  # what serve seeds


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


CHANGES = {  # kind -> (the change, whether the other campaigns' files are reused)
    "campaign yaml": (lambda r: replace(r / "campaigns" / "nordlys-sko.yaml", "name: Nordlys Sko\n",
                                        "name: Nordlys Sko & Co\n"), True),
    "logo": (lambda r: replace(r / "campaigns" / "nordlys-sko-logo.svg", 'fill="#0b5d4b"/>', 'fill="#0a4d3b"/>'),
             True),
    "approval file": (lambda r: (r / "campaigns" / "kedai-harmoni.approved.json").unlink(), True),
    "catalog .po": (lambda r: replace(r / "locales" / "nb" / "LC_MESSAGES" / "messages.po",
                                      "når du vil", "når som helst"), False),
    "notice.md": (lambda r: replace(r / "locales" / "nb" / "notice.md", "\n## ", "\nEn ny setning.\n\n## "), False),
    "theme template": (lambda r: replace(r / "themes" / "shop" / "templates" / "thanks.html",
                                         "</h1>", " !</h1>"), False),
    "theme static file": (lambda r: (r / "themes" / "shop" / "static" / "shop.css").write_text(
        ".shop-thanks { color: #222; }\n", encoding="utf-8"), False),
}


@pytest.mark.parametrize("kind", CHANGES)
def test_a_rebuild_after_a_change_equals_a_clean_build(root, kind):
    first = run(root)
    before, was = tree(first.out_dir), inodes(first.out_dir)
    change, reused = CHANGES[kind]
    change(root)
    result = run(root)
    assert tree(result.out_dir) != before or kind == "approval file"  # the change shows (or warns)
    same_as_clean(root, result)
    fjellsport = [name for name in was if name.startswith("fjellsport/")]
    kept = [name for name in fjellsport if inodes(result.out_dir).get(name) == was[name]]
    assert (kept == fjellsport) if reused else not kept  # linked from the previous output, or rendered


def test_a_rebuild_without_changes_renders_nothing(root):
    first = run(root)
    was = inodes(first.out_dir)
    with mock.patch("generator.pipeline.jobs.render", side_effect=AssertionError("rendered")):
        result = run(root)
    now, ids = inodes(result.out_dir), {c.id for c in result.campaigns}
    mine = [n for n in was if n.split("/")[0] in ids or n.split("/")[:2] in (["assets", i] for i in ids)]
    assert len(mine) > 100 and all(now[name] == was[name] for name in mine)  # every campaign file linked
    same_as_clean(root, result)


def test_a_deleted_campaign_loses_its_pages(root):
    run(root)
    (root / "campaigns" / "kedai-harmoni.yaml").unlink()
    result = run(root)
    assert not (result.out_dir / "kedai-harmoni").exists()
    assert not (result.out_dir / "assets" / "kedai-harmoni").exists()
    same_as_clean(root, result)


@pytest.mark.parametrize("breakage", ["invalid yaml", "unsafe notice text", "broken notice template"])
def test_a_failed_rebuild_leaves_the_previous_output_untouched(root, breakage):
    out = run(root).out_dir
    stamps = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in out.rglob("*") if p.is_file()}
    campaign = root / "campaigns" / "nordlys-sko.yaml"
    original = campaign.read_text(encoding="utf-8")
    if breakage == "invalid yaml":
        campaign.write_text(original + "\npurposes: [\n", encoding="utf-8")
    elif breakage == "unsafe notice text":  # found while rendering, after other campaigns were linked
        campaign.write_text(original + '\nnotice:\n  nb: "[x](javascript:alert(1))"\n', encoding="utf-8")
    else:
        (root / "locales" / "nb" / "notice.md").write_text("{{ unclosed\n", encoding="utf-8")
    with pytest.raises(OptinError):
        run(root)
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in out.rglob("*") if p.is_file()} == stamps
    assert [p.name for p in root.glob(".public.*")] == [cache.folder_for(out).name]  # no staging left
    campaign.write_text(original, encoding="utf-8")
    (root / "locales" / "nb" / "notice.md").write_bytes((REPO / "locales" / "nb" / "notice.md").read_bytes())
    same_as_clean(root, run(root))


def test_an_output_file_changed_by_hand_is_rendered_again(root):
    out = run(root).out_dir
    page = out / "nordlys-sko" / "nb" / "thanks.html"
    page.write_text("edited by hand", encoding="utf-8")
    same_as_clean(root, run(root))


def test_a_file_added_by_hand_to_a_reused_campaign_goes_away(root):
    out = run(root).out_dir
    (out / "fjellsport" / "nb" / "extra.html").write_text("dropped in by hand", encoding="utf-8")
    result = run(root)
    assert not (out / "fjellsport" / "nb" / "extra.html").exists()
    same_as_clean(root, result)


def test_an_edit_keeping_size_and_mtime_is_seen(root, monkeypatch):
    """Inputs are hashed again only when their stat changed; ctime changes with any write."""
    monkeypatch.setattr(cache, "_recent", lambda found: False)  # trust fresh stamps, as for older files
    run(root)
    path = root / "campaigns" / "nordlys-sko.yaml"
    before = path.stat()
    replace(path, "name: Nordlys Sko\n", "name: Nordlys Sk0\n")  # same size
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    result = run(root)
    assert "Nordlys Sk0" in (result.out_dir / "nordlys-sko" / "nb" / "index.html").read_text(encoding="utf-8")
    same_as_clean(root, result)


def test_an_edited_campaign_keeps_its_qr_codes(root):
    """Its address did not change: the codes come from the previous output, unless changed there."""
    out = run(root).out_dir
    replace(root / "campaigns" / "nordlys-sko.yaml", "name: Nordlys Sko\n", "name: Nordlys Sko & Co\n")
    (out / "kedai-harmoni" / "ms" / "qr.png").write_bytes(b"edited by hand")
    encoded, real = [], qr_matrix.encode
    with mock.patch.object(qr_matrix, "encode", side_effect=lambda url: encoded.append(url) or real(url)):
        result = run(root)
    assert encoded == ["https://optin.kedaiharmoni.example/kedai-harmoni/ms/"]
    same_as_clean(root, result)


def test_a_new_process_converts_no_notice_structure_seen_before(root, monkeypatch):
    run(root)
    replace(root / "campaigns" / "nordlys-sko.yaml", "name: Nordlys Sko\n", "name: Nordlys Sko & Co\n")
    monkeypatch.setattr(notice_cache, "_entries", OrderedDict())  # as in a new process: only the store
    notice_cache.use_store(None)
    calls = []
    markdown_html = notice_cache.markdown_html
    monkeypatch.setattr(notice_cache, "markdown_html", lambda text: calls.append(1) or markdown_html(text))
    result = run(root)
    assert calls == []
    same_as_clean(root, result)


def test_an_error_while_the_output_is_updated_puts_everything_back(root):
    out = run(root).out_dir
    replace(root / "campaigns" / "nordlys-sko.yaml", "name: Nordlys Sko\n", "name: Nordlys Sko & Co\n")
    before = tree(out)
    rename, calls = os.rename, []

    def failing(src, dst):  # the output half updated when the disk fails
        calls.append(src)
        if len(calls) == 3:
            raise OSError("disk gone")
        rename(src, dst)

    with mock.patch.object(output.os, "rename", side_effect=failing), pytest.raises(OSError):
        run(root)
    assert len(calls) > 3 and tree(out) == before  # the two renames done were undone
    assert [p.name for p in root.glob(".public.*")] == [cache.folder_for(out).name]
    same_as_clean(root, run(root))


def test_a_damaged_cache_gives_a_clean_build(root):
    out = run(root).out_dir
    (cache.folder_for(out) / cache.INDEX).write_bytes(b"not a pickle")
    same_as_clean(root, run(root))


def test_many_campaigns_build_in_parallel_as_in_series(tmp_path):
    campaigns = tmp_path / "p" / "campaigns"
    copy_examples(campaigns)
    text = (campaigns / "nordlys-sko.yaml").read_text(encoding="utf-8")
    for i in range(parallel.MIN_JOBS + 1):
        (campaigns / f"shop-{i}.yaml").write_text(
            text.replace("id: nordlys-sko", f"id: shop-{i}").replace("name: Nordlys Sko\n", f"name: Shop {i}\n"),
            encoding="utf-8")
    # Two cores, and no other thread as far as the pool can tell (pytest-xdist runs its own;
    # they take no lock the build's children need).
    with mock.patch.object(parallel, "ordered", wraps=parallel.ordered) as pool, \
            mock.patch.object(os, "sched_getaffinity", return_value={0, 1}), \
            mock.patch.object(parallel.threading, "active_count", return_value=1):
        together = run(tmp_path / "p", tmp_path / "together")
    assert pool.call_args.args[2] == 2  # two worker processes
    with mock.patch.object(parallel, "workers", return_value=1):
        alone = pipeline.build(Project.find(tmp_path / "p"), out_dir=tmp_path / "alone", cache=False)
    assert tree(together.out_dir) == tree(alone.out_dir)
    assert (together.warnings, together.pages) == (alone.warnings, alone.pages)
    assert together.views == alone.views


def test_a_campaign_failing_in_a_worker_fails_the_build_as_in_series(tmp_path):
    campaigns = tmp_path / "p" / "campaigns"
    copy_examples(campaigns)
    text = (campaigns / "nordlys-sko.yaml").read_text(encoding="utf-8")
    for i in range(parallel.MIN_JOBS + 1):
        extra = '\nnotice:\n  nb: "[x](javascript:alert(1))"\n' if i in (4, 7) else ""
        (campaigns / f"shop-{i}.yaml").write_text(text.replace("id: nordlys-sko", f"id: shop-{i}") + extra,
                                                  encoding="utf-8")
    errors = []
    for processes in (2, 1):
        with mock.patch.object(parallel, "workers", return_value=processes), pytest.raises(OptinError) as failed:
            run(tmp_path / "p", tmp_path / f"out-{processes}")
        errors.append(str(failed.value))
        assert not (tmp_path / f"out-{processes}").exists()
    assert errors[0] == errors[1] and "shop-4" in errors[0]
