"""Static pages for the ward's web portal: FAQs, tips and reporting guides by topic.

Plain HTML with the style inline and no outside asset, so the pages work opened straight from disk
and on any host; they read well on a 360 px phone. The search box runs offline: the index is a
small JSON list, also shipped inside `tim-kiem.js` because browsers refuse to fetch JSON from
file:// pages. Every page links to the assistant and shows the hotline.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from html import escape

from bot.content.loader import Content
from bot.content.models import Faq, Guide, Tip
from bot.content.topics import TOPICS
from bot.core.ui import PLACEHOLDER_PHONE
from bot.exports.common import (
    ASSISTANT_NAME,
    HOTLINE_LINE,
    ExportOptions,
    ExportResult,
    prepare_out,
    select,
    topics_in_order,
    ward_title,
    write_text,
)
from bot.understanding.normalize import fold, nfc

INDEX = "index.html"
GUIDES = "bao-cao.html"
SEARCH_SCRIPT = "tim-kiem.js"
SEARCH_JSON = "tim-kiem.json"

STYLE = """
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",Arial,sans-serif;
 font-size:1.0625rem;line-height:1.6;color:#1a1a1a;background:#fff;overflow-wrap:anywhere}
a{color:#0b4f9c}a:hover{color:#063566}
:focus-visible{outline:3px solid #b35900;outline-offset:2px}
.skip{position:absolute;left:-999px;top:0;background:#fff;padding:.5rem}.skip:focus{left:.5rem}
header.site{background:#0b1f3a;color:#fff;padding:.75rem 1rem}
header.site a{color:#fff}
header.site .ward{margin:0;font-size:.9rem;opacity:.9}
header.site .name{margin:.1rem 0 .5rem;font-size:1.25rem;font-weight:700}
form.search{display:flex;flex-wrap:wrap;gap:.4rem;align-items:center}
form.search label{width:100%;font-size:.9rem}
form.search input{flex:1 1 12rem;min-width:0;font-size:1rem;padding:.5rem;border:2px solid #7a8aa0;border-radius:6px}
form.search button{font-size:1rem;padding:.5rem .9rem;border:0;border-radius:6px;background:#ffd23f;color:#0b1f3a;font-weight:700}
main{max-width:46rem;margin:0 auto;padding:1rem}
h1{font-size:1.6rem;line-height:1.3;margin:.5rem 0 1rem}
h2{font-size:1.3rem;margin:2rem 0 .75rem;border-bottom:2px solid #ffd23f}
h3{font-size:1.1rem;margin:1.25rem 0 .5rem}
.hotline{background:#fff4cc;border-left:6px solid #b35900;padding:.75rem 1rem;margin:1rem 0}
.hotline strong{font-size:1.25rem}
.assistant{background:#e8f0fb;padding:.75rem 1rem;margin:1rem 0;border-radius:6px}
.source{font-size:.875rem;color:#4d4d4d}
ul.topics{list-style:none;padding:0;display:grid;grid-template-columns:repeat(auto-fill,minmax(15rem,1fr));gap:.5rem}
ul.topics a{display:block;padding:.6rem .75rem;border:1px solid #c5cfdc;border-radius:6px;text-decoration:none}
ul.topics span{display:block;font-size:.85rem;color:#4d4d4d}
.tip{border-left:4px solid #0b4f9c;padding:.25rem .75rem;margin:.75rem 0}
#results li{margin:.4rem 0}
nav.crumbs{font-size:.9rem;margin:.5rem 0}
footer{border-top:1px solid #c5cfdc;margin-top:2rem;padding:1rem;font-size:.9rem;color:#333;text-align:center}
"""

SEARCH_CODE = """
(function () {
  function fold(s) {
    return s.normalize("NFD").replace(/[\\u0300-\\u036f]/g, "").replace(/[đĐ]/g, "d").toLowerCase();
  }
  function search(query) {
    var words = fold(query).split(/[^a-z0-9]+/).filter(function (w) { return w.length > 0; });
    if (!words.length) return [];
    var need = Math.max(1, Math.ceil(words.length * 0.6));
    var found = [];
    window.SEARCH_INDEX.forEach(function (entry) {
      var title = " " + fold(entry.t) + " ", keys = " " + entry.k + " ", hits = 0, score = 0;
      words.forEach(function (w) {
        if (title.indexOf(" " + w) >= 0) { hits++; score += 3; }
        else if (keys.indexOf(" " + w) >= 0) { hits++; score += 1; }
      });
      if (hits >= need) found.push({ entry: entry, score: score + hits * 2 });
    });
    found.sort(function (a, b) { return b.score - a.score; });
    return found.slice(0, 15).map(function (f) { return f.entry; });
  }
  function show(query) {
    var list = document.getElementById("results"), status = document.getElementById("status");
    if (!list) return;
    list.innerHTML = "";
    if (!query.trim()) { status.textContent = ""; return; }
    var found = search(query);
    status.textContent = found.length ? "Tìm thấy " + found.length + " mục cho \\u201c" + query + "\\u201d:"
      : "Chưa tìm thấy mục nào. Thử từ khác, hoặc hỏi trợ lý.";
    found.forEach(function (entry) {
      var li = document.createElement("li"), a = document.createElement("a"), small = document.createElement("span");
      a.href = entry.u; a.textContent = entry.t; small.className = "source"; small.textContent = " · " + entry.c;
      li.appendChild(a); li.appendChild(small); list.appendChild(li);
    });
  }
  window.addEventListener("DOMContentLoaded", function () {
    var input = document.getElementById("q");
    var query = new URLSearchParams(window.location.search).get("q") || "";
    if (input && query) input.value = query;
    if (document.getElementById("results")) {
      show(query);
      input.addEventListener("input", function () { show(input.value); });
    }
  });
  window.searchKnowledge = search;
})();
"""


def page_name(topic: str) -> str:
    return "chu-de-" + topic.replace("_", "-") + ".html"


def _blocks(text: str) -> str:
    """Answer text to HTML: numbered lines become a list, bullet lines a list, the rest paragraphs."""
    html: list[str] = []
    kind: str | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        numbered = re.match(r"^\d+[.)]\s+(.*)", line)
        bullet = re.match(r"^[-•*]\s+(.*)", line)
        wanted = "ol" if numbered else "ul" if bullet else None
        if kind and wanted != kind:
            html.append(f"</{kind}>")
            kind = None
        if wanted and kind is None:
            html.append(f"<{wanted}>")
            kind = wanted
        item = numbered or bullet
        html.append(f"<li>{escape(item[1])}</li>" if item else f"<p>{escape(line)}</p>")
    if kind:
        html.append(f"</{kind}>")
    return "\n".join(html)


def _source(source: str) -> str:
    return f'<p class="source">Nguồn: {escape(source)}</p>'


def _page(title: str, body: str, options: ExportOptions, crumbs: str = "") -> str:
    ward = escape(ward_title(options.ward))
    url = escape(options.assistant_url())
    return f"""<!DOCTYPE html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} – {ward}</title>
<style>{STYLE}</style>
</head>
<body>
<a class="skip" href="#noi-dung">Bỏ qua, đến nội dung chính</a>
<header class="site">
<p class="ward">{ward}</p>
<p class="name"><a href="{INDEX}">An toàn của trẻ em trên mạng</a></p>
<form class="search" role="search" action="{INDEX}" method="get">
<label for="q">Tìm câu hỏi, mẹo, hướng dẫn</label>
<input id="q" name="q" type="search" autocomplete="off" placeholder="Ví dụ: con bị lừa nạp thẻ game">
<button type="submit">Tìm</button>
</form>
</header>
<main id="noi-dung">
{crumbs}
{body}
<aside class="assistant" aria-label="Trợ lý">
<p><strong>Còn thắc mắc?</strong> Hỏi <a href="{url}">{ASSISTANT_NAME} trên Telegram</a>: trả lời ngay, không cần cho biết tên.</p>
</aside>
</main>
<footer>
<p><strong>{escape(HOTLINE_LINE)}</strong> · Khẩn cấp: 113</p>
<p>{ward} · Nội dung từ {ASSISTANT_NAME}, cập nhật {options.today:%d/%m/%Y}</p>
</footer>
<script src="{SEARCH_SCRIPT}"></script>
</body>
</html>
"""


def _faq_html(faq: Faq) -> str:
    return f'<article id="{faq.id}">\n<h3>{escape(faq.question)}</h3>\n{_blocks(faq.answer)}\n{_source(faq.source)}\n</article>'


def _tip_html(tip: Tip) -> str:
    return f'<div class="tip" id="{tip.id}">\n<p>{escape(tip.text)}</p>\n{_source(tip.source)}\n</div>'


def _guide_html(guide: Guide, level: int = 2) -> str:
    def section(title: str, items: list[str], tag: str = "ul") -> str:
        if not items:
            return ""
        lis = "".join(f"<li>{escape(item)}</li>" for item in items)
        return f"<h{level + 1}>{title}</h{level + 1}>\n<{tag}>{lis}</{tag}>"

    parts = [
        f'<section id="{guide.id}" aria-labelledby="{guide.id}-tieu-de">',
        f'<h{level} id="{guide.id}-tieu-de">{escape(guide.title)}</h{level}>',
        _blocks(guide.summary),
        section("Làm ngay", guide.immediate, "ol"),
        section("Giữ bằng chứng", guide.evidence),
        section("Không nên", guide.never),
        section("Báo cáo ở đâu", guide.report_where),
        section("Gọi ai", guide.call),
        _source(guide.source),
        "</section>",
    ]
    return "\n".join(part for part in parts if part)


def _contacts_html(content: Content) -> str:
    rows = []
    for contact in content.knowledge.contacts:
        phone = contact.phone or PLACEHOLDER_PHONE
        hours = f" ({escape(contact.hours)})" if contact.hours else ""
        number = f'<a href="tel:{escape(contact.phone)}">{escape(phone)}</a>' if contact.phone else escape(phone)
        rows.append(f"<li><strong>{number}</strong> – {escape(contact.name)}{hours}</li>")
    return "<ul>" + "".join(rows) + "</ul>"


def _keys(*texts: str) -> str:
    """Unique folded words: a compact index that still finds words typed without diacritics."""
    seen: dict[str, None] = {}
    for text in texts:
        for word in re.findall(r"[a-z0-9]+", fold(nfc(text)).lower()):
            seen.setdefault(word, None)
    return " ".join(seen)


def export_site(content: Content, options: ExportOptions, progress: Callable[[int, int, str], None]) -> ExportResult:
    options.require_username("Trang web")
    out = prepare_out(options.out)
    result = ExportResult("site")
    kb = content.knowledge
    faqs, tips = select(kb.faqs, options), select(kb.tips, options)
    guides = [g for g in kb.guides if not options.topics or g.topic in options.topics]
    topics = [t for t in topics_in_order(options) if any(x.topic == t for x in [*faqs, *tips, *guides])]
    index: list[dict[str, str]] = []
    total = len(topics) + 2
    for done, topic in enumerate(topics, 1):
        label = TOPICS[topic]
        name = page_name(topic)
        topic_faqs = [f for f in faqs if f.topic == topic]
        topic_tips = [t for t in tips if t.topic == topic]
        topic_guides = [g for g in guides if g.topic == topic]
        body = [f"<h1>{escape(label)}</h1>", _jump_links(topic_guides, topic_faqs, topic_tips)]
        if topic_guides:
            body.append('<h2 id="bao-cao">Khi có chuyện: báo cáo thế nào</h2>')
            body.extend(_guide_html(g, level=3) for g in topic_guides)
        if topic_faqs:
            body.append('<h2 id="hoi-dap">Hỏi – đáp</h2>')
            body.extend(_faq_html(f) for f in topic_faqs)
        if topic_tips:
            body.append('<h2 id="meo">Mẹo an toàn</h2>')
            body.extend(_tip_html(t) for t in topic_tips)
        crumbs = f'<nav class="crumbs" aria-label="Vị trí"><a href="{INDEX}">Trang chủ</a> › {escape(label)}</nav>'
        write_text(out / name, _page(label, "\n".join(body), options, crumbs))
        index += [
            {"t": f.question, "u": f"{name}#{f.id}", "c": label, "k": _keys(f.question, *f.variants, f.answer)}
            for f in topic_faqs
        ]
        index += [
            {"t": _short(t.text), "u": f"{name}#{t.id}", "c": f"Mẹo · {label}", "k": _keys(t.text)} for t in topic_tips
        ]
        index += [
            {
                "t": g.title,
                "u": f"{name}#{g.id}",
                "c": "Hướng dẫn báo cáo",
                "k": _keys(g.title, g.summary, *g.immediate),
            }
            for g in topic_guides
        ]
        progress(done, total, name)
    result.add(out, f"{len(topics)} trang chủ đề")

    if guides:
        body = "<h1>Hướng dẫn báo cáo khi trẻ gặp chuyện trên mạng</h1>\n" + "\n".join(_guide_html(g) for g in guides)
        crumbs = f'<nav class="crumbs" aria-label="Vị trí"><a href="{INDEX}">Trang chủ</a> › Hướng dẫn báo cáo</nav>'
        write_text(out / GUIDES, _page("Hướng dẫn báo cáo", body, options, crumbs))
        result.add(out / GUIDES, f"{len(guides)} hướng dẫn báo cáo")
    progress(total - 1, total, GUIDES)

    write_text(out / INDEX, _page("Trang chủ", _home(content, options, topics, faqs, tips, bool(guides)), options))
    data = json.dumps(index, ensure_ascii=False, separators=(",", ":"))
    write_text(out / SEARCH_JSON, data)
    write_text(out / SEARCH_SCRIPT, f"window.SEARCH_INDEX = {data};\n{SEARCH_CODE}")
    result.add(out / INDEX, "trang chủ: tìm kiếm, chủ đề, số điện thoại")
    result.add(out / SEARCH_JSON, f"chỉ mục tìm kiếm ({len(index)} mục, dùng được không cần mạng)")
    progress(total, total, INDEX)
    result.notes.append(f"Mở {out / INDEX} bằng trình duyệt để xem thử; đưa cả thư mục lên cổng thông tin.")
    return result


def _jump_links(guides: list, faqs: list, tips: list) -> str:
    links = []
    if guides:
        links.append('<a href="#bao-cao">Báo cáo thế nào</a>')
    if faqs:
        links.append(f'<a href="#hoi-dap">Hỏi – đáp ({len(faqs)})</a>')
    if tips:
        links.append(f'<a href="#meo">Mẹo ({len(tips)})</a>')
    return f'<nav class="crumbs" aria-label="Trên trang này">Trên trang này: {" · ".join(links)}</nav>'


def _short(text: str, limit: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _home(content: Content, options: ExportOptions, topics: list[str], faqs, tips, has_guides: bool) -> str:
    items = []
    for topic in topics:
        count_f = sum(f.topic == topic for f in faqs)
        count_t = sum(t.topic == topic for t in tips)
        items.append(
            f'<li><a href="{page_name(topic)}">{escape(TOPICS[topic])}'
            f"<span>{count_f} câu hỏi · {count_t} mẹo</span></a></li>"
        )
    guides_link = f'<p><a href="{GUIDES}">Hướng dẫn báo cáo khi trẻ gặp chuyện trên mạng</a></p>' if has_guides else ""
    return f"""<h1>An toàn của trẻ em trên mạng</h1>
<p>Câu hỏi thường gặp, mẹo và hướng dẫn báo cáo dành cho phụ huynh, thầy cô và các em, do {escape(ward_title(options.ward))} biên soạn.</p>
<section aria-labelledby="tim-kiem-tieu-de">
<h2 id="tim-kiem-tieu-de">Tìm nhanh</h2>
<p id="status" role="status" aria-live="polite"></p>
<ol id="results"></ol>
<noscript><p>Trình duyệt đang tắt JavaScript nên ô tìm kiếm không chạy; anh/chị chọn chủ đề bên dưới nhé.</p></noscript>
</section>
<div class="hotline"><p><strong>Trẻ đang gặp nguy hiểm ngay lúc này? Gọi <a href="tel:113">113</a> hoặc <a href="tel:115">115</a>.</strong> Cần hỗ trợ, tư vấn: <a href="tel:111">111</a> (miễn phí, 24/7).</p></div>
{guides_link}
<h2 id="chu-de">Chủ đề</h2>
<ul class="topics">{"".join(items)}</ul>
<h2 id="lien-he">Liên hệ</h2>
{_contacts_html(content)}"""
