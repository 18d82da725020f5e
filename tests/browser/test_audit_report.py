"""The audit report in Chromium: a self-contained document (the page itself is the only request),
no console error and no CSP violation (its hashed style applies: the bars have their colours),
both weekly charts drawn with bars of non-zero height, the summary before anything else. A
full-page screenshot is left in the test's temporary folder."""
from __future__ import annotations

from support.audit_ledger import clean, published, seed_problems

from generator.receiver import audit
from generator.receiver.audit_render import render


def test_the_report_renders_its_charts_under_its_own_csp(tmp_path, static_server, page):
    scene = clean(tmp_path / "ledger.sqlite", tmp_path)
    seeded = seed_problems(scene)
    report = audit.build(scene.rx.ledger, scene.campaigns, published=published(scene.rx),
                         settings=scene.rx.project.receiver)
    scene.rx.ledger.close()
    folder = tmp_path / "report"
    folder.mkdir()
    (folder / "audit.html").write_text(render(report, "html"), encoding="utf-8")
    url = static_server(folder)
    console, requests = [], []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: console.append(f"pageerror: {error}"))
    page.on("request", lambda request: requests.append(request.url))
    page.set_viewport_size({"width": 1100, "height": 900})
    page.goto(f"{url}/audit.html")
    assert console == []
    assert requests == [f"{url}/audit.html"]
    assert page.locator("h1").inner_text() == "Consent audit report"
    headings = page.locator("h2").all_inner_texts()
    assert headings[:2] == ["Summary", "Problems"] and "Settings in force" in headings
    assert page.locator(".verdict").inner_text().startswith(f"{len(seeded)} problems found")
    for record in seeded.values():
        assert page.locator("td.id", has_text=record).count() >= 1
    charts = page.locator("figure svg")
    assert charts.count() == 2
    for i in range(2):
        bars = charts.nth(i).locator("rect.bar")
        assert bars.count() > 0
        assert all(bars.nth(j).bounding_box()["height"] > 0 for j in range(bars.count()))
    fill = page.locator("rect.bar.s0").first.evaluate("bar => getComputedStyle(bar).fill")
    assert fill == "rgb(43, 93, 155)"  # the <style> applied: its hash is in the CSP
    page.screenshot(path=str(tmp_path / "audit-report.png"), full_page=True)
    page.emulate_media(media="print")
    assert page.locator(".summary").bounding_box()["y"] < page.locator("#chain_broken").bounding_box()["y"]
    assert console == []
