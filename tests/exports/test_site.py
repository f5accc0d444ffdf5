"""The static pages: strict HTML, every internal link lands on a page and an anchor that exist, no
outside assets, the assistant linked from every page; a real browser runs the offline search from
disk and shows the pages without sideways scrolling on a 360 px phone."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote, urlsplit

import html5lib
import pytest

from bot.content.loader import Content
from bot.exports.common import ExportError, ExportOptions, quiet
from bot.exports.site import export_site
from tests.exports.conftest import BOT

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@pytest.fixture
def site(content: Content, make_options: Callable[..., ExportOptions]) -> Path:
    options = make_options()
    export_site(content, options, quiet)
    return options.out


def _parse(path: Path):
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    return parser.parse(path.read_bytes())  # strict: any HTML parse error raises


def test_pages_parse_and_internal_links_resolve(site: Path, content: Content) -> None:
    pages = sorted(site.glob("*.html"))
    topics_with_content = {t.topic for t in content.knowledge.tips} | {f.topic for f in content.knowledge.faqs}
    assert len(pages) == len(topics_with_content) + 2  # topic pages, reporting guides, home
    trees = {page.name: _parse(page) for page in pages}
    ids = {name: {el.get("id") for el in tree.iter() if el.get("id")} for name, tree in trees.items()}
    checked = 0
    for name, tree in trees.items():
        assert tree.get("lang") == "vi" and tree.find(".//meta[@name='viewport']") is not None
        assert tree.find(".//main") is not None and tree.find(".//h1") is not None
        for element in tree.iter():
            for attribute in ("href", "src", "action"):
                target = element.get(attribute)
                if not target:
                    continue
                url = urlsplit(target)
                if url.scheme in ("http", "https"):
                    assert element.tag == "a", f"{name}: outside asset {target}"
                    continue
                if url.scheme == "tel":
                    continue
                assert not url.scheme and not url.netloc, f"{name}: {target}"
                page = url.path or name
                assert (site / page).is_file(), f"{name}: link to missing {target}"
                if url.fragment:
                    assert url.fragment in ids.get(page, set()), f"{name}: no #{url.fragment} in {page}"
                checked += 1
        assistant = [a.get("href") for a in tree.iter("a") if (a.get("href") or "").startswith("https://t.me/")]
        assert assistant == [f"https://t.me/{BOT}"], name
    assert checked > 100


def test_search_index_points_at_real_anchors(site: Path, content: Content) -> None:
    index = json.loads((site / "tim-kiem.json").read_text(encoding="utf-8"))
    assert len(index) == len(content.knowledge.faqs) + len(content.knowledge.tips) + len(content.knowledge.guides)
    script = (site / "tim-kiem.js").read_text(encoding="utf-8")
    assert script.startswith("window.SEARCH_INDEX = " + json.dumps(index, ensure_ascii=False, separators=(",", ":")))
    for entry in index:
        page, _, anchor = entry["u"].partition("#")
        assert f'id="{anchor}"' in (site / page).read_text(encoding="utf-8"), entry["u"]
        assert entry["k"].isascii()  # folded: finds words typed without diacritics
    assert (site / "tim-kiem.json").stat().st_size < 300_000


def test_site_needs_the_assistant_name(content: Content, make_options: Callable[..., ExportOptions]) -> None:
    with pytest.raises(ExportError, match="BOT_TELEGRAM_USERNAME"):
        export_site(content, make_options(bot_username=""), quiet)


def _dump(url: str) -> str:
    """The DOM after the page's scripts ran, in headless Chromium."""
    assert CHROMIUM
    result = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--allow-file-access-from-files", "--window-size=800,900", "--virtual-time-budget=5000", "--dump-dom", url],
        capture_output=True, text=True, timeout=90,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-500:]
    return result.stdout


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (.ci/run installs it)")
def test_offline_search_works_from_disk_in_a_browser(site: Path) -> None:
    dom = _dump((site / "index.html").as_uri() + "?q=" + quote("lừa nạp thẻ game"))
    tree = html5lib.parse(dom, namespaceHTMLElements=False)
    links = [a.get("href") for a in tree.find(".//ol[@id='results']").iter("a")]
    assert links, "the search showed no result"
    assert any(link.startswith("chu-de-lua-dao.html#") for link in links[:5]), links[:5]
    assert "Tìm thấy" in "".join(tree.find(".//p[@id='status']").itertext())
    # typed without diacritics, as many parents do
    dom = _dump((site / "index.html").as_uri() + "?q=" + quote("con bi bat nat tren mang"))
    tree = html5lib.parse(dom, namespaceHTMLElements=False)
    links = [a.get("href") for a in tree.find(".//ol[@id='results']").iter("a")]
    assert any(link.startswith("chu-de-bat-nat-mang.html#") for link in links[:5]), links[:5]


PHONE = """<!DOCTYPE html><html><body><iframe id="f" src="{page}" style="width:360px;height:740px;border:0"></iframe>
<script>document.getElementById("f").addEventListener("load", function () {{
  var html = this.contentDocument.documentElement;
  document.body.dataset.width = html.scrollWidth + "/" + this.contentWindow.innerWidth;
}});</script></body></html>"""


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (.ci/run installs it)")
def test_pages_fit_a_360px_phone(site: Path) -> None:
    for name in ("index.html", "bao-cao.html", "chu-de-bao-cao.html", "chu-de-kiem-soat-cua-cha-me.html"):
        frame = site / "dien-thoai.html"
        frame.write_text(PHONE.format(page=name), encoding="utf-8")
        body = html5lib.parse(_dump(frame.as_uri()), namespaceHTMLElements=False).find(".//body")
        content_width, viewport = (int(v) for v in body.get("data-width").split("/"))
        assert viewport == 360
        assert content_width <= 360, f"{name} scrolls sideways on a 360 px phone ({content_width} px wide)"
