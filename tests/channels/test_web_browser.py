"""The web chat in a real headless Chromium (Debian's chromium + chromedriver, driven by Selenium):
onboarding (with the residential group), a whole quiz, a typed question, the keyboard path, a 360 px
phone screen, contrast, a file downloaded from a reply, tap-to-call numbers in the emergency card,
the 111 line kept on a 375x667 phone screen, and no console or CSP errors. Screenshots go to ./artifacts/ (not committed) for a person to look at.

Skips only on a developer machine without Chromium; in CI (CI=true) a missing browser is a failure.
"""

from __future__ import annotations

import asyncio
import functools
import http.server
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from bot.app import Assistant
from bot.channels.web import WebChat
from bot.cli import ask_one
from bot.content.loader import Content
from bot.core.engine import Engine
from bot.core.types import Document, Incoming, Outcome, Reply
from bot.storage.sqlite import SqliteStore
from tests.channels.test_web import ward_filled_in, web_config
from tests.subprocess_env import clean_env

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")

if not (CHROMIUM and CHROMEDRIVER) and os.environ.get("CI") != "true":
    pytest.skip("Chromium/chromedriver not installed (CI installs them: see .ci/run)", allow_module_level=True)

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.remote.webelement import WebElement  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

CHROME_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-quic",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--lang=vi-VN",
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`python -m bot` with no token, exactly as a new user starts it."""
    work = tmp_path_factory.mktemp("webchat")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = clean_env()
    env.update(
        BOT_KNOWLEDGE_DIR=str(ROOT / "knowledge"),
        BOT_FLOWS_DIR=str(ROOT / "flows"),
        BOT_WEB_PORT=str(port),
        PYTHONUNBUFFERED="1",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "bot"], cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert "Trò chuyện trên web" in line, line
        yield f"http://127.0.0.1:{port}/"
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(20)
        if process.stdout is not None:
            process.stdout.close()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[WebDriver]:
    assert CHROMIUM and CHROMEDRIVER, "CI must install chromium and chromium-driver (see .ci/run)"
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*CHROME_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_window_size(360, 740)
    try:
        yield driver
    finally:
        driver.quit()


def phone_screen(driver: WebDriver, width: int = 375, height: int = 667) -> None:
    """A viewport of exactly this size (the window's own bars taken into account)."""
    driver.set_window_size(width, height)
    inner = driver.execute_script("return [window.innerWidth, window.innerHeight]")
    driver.set_window_size(2 * width - inner[0], 2 * height - inner[1])


def wait_for(driver: WebDriver, check, message: str, timeout: float = 15):  # type: ignore[no-untyped-def]
    return WebDriverWait(driver, timeout).until(lambda d: check(d), message)


def bot_texts(driver: WebDriver) -> list[str]:
    return [e.text for e in driver.find_elements(By.CSS_SELECTOR, "#log .msg.bot .text")]


def choice(driver: WebDriver, fragment: str) -> WebElement:
    """The current button whose label contains `fragment`, once it is there and enabled."""

    def find(d: WebDriver) -> WebElement | bool:
        for button in d.find_elements(By.CSS_SELECTOR, "#log button.choice"):
            if fragment in button.text and button.is_enabled():
                return button
        return False

    return wait_for(driver, find, f"no button like {fragment!r}")


def press(driver: WebDriver, fragment: str, expect: str) -> None:
    before = len(bot_texts(driver))
    choice(driver, fragment).click()
    wait_for(
        driver,
        lambda d: any(expect in t for t in bot_texts(d)[before:]),
        f"after pressing {fragment!r}, no reply with {expect!r}",
    )


def shoot(driver: WebDriver, name: str, width: int, *, full: bool = True) -> Path:
    """A screenshot in ./artifacts/: the whole conversation (`full`) or one phone screen."""
    ARTIFACTS.mkdir(exist_ok=True)
    if not full:
        driver.set_window_size(width, 740)
        path = ARTIFACTS / f"web-{name}-{width}.png"
        driver.save_screenshot(str(path))
        return path
    height = driver.execute_script(
        "const s = document.getElementById('scroller'), f = document.querySelector('footer'),"
        " b = document.getElementById('sos');"
        "return s && f ? s.scrollHeight + f.offsetHeight + (b ? b.offsetHeight : 0)"
        " : Math.max(document.body.scrollHeight, 640)"
    )
    driver.set_window_size(width, min(int(height) + 120, 4000))
    path = ARTIFACTS / f"web-{name}-{width}.png"
    driver.save_screenshot(str(path))
    return path


CONTRAST_JS = """
function lum(c) {
  const v = c.match(/\\d+(\\.\\d+)?/g).slice(0, 3).map(Number).map(x => {
    x /= 255; return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4); });
  return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2];
}
function bg(el) {
  while (el) { const c = getComputedStyle(el).backgroundColor;
    if (c && c !== 'rgba(0, 0, 0, 0)' && c !== 'transparent') return c; el = el.parentElement; }
  return 'rgb(255, 255, 255)';
}
return Array.from(document.querySelectorAll(arguments[0])).map(el => {
  const a = lum(getComputedStyle(el).color), b = lum(bg(el));
  return [el.textContent.trim().slice(0, 30), (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)];
});
"""


def test_onboarding_quiz_and_question_in_a_real_browser(server: str, browser: WebDriver, engine: Engine) -> None:
    browser.get(server)
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "vi"
    choice(browser, "Phụ huynh")
    assert "Trợ lý An Toàn Số" in bot_texts(browser)[0]
    shoot(browser, "welcome", 360)
    browser.set_window_size(360, 740)

    # Onboarding: the mouse for the role, then the keyboard alone for the age band.
    press(browser, "Phụ huynh", "độ tuổi")
    focused = browser.switch_to.active_element
    assert "msg" in (focused.get_attribute("class") or ""), "after a press, focus goes to the new reply"
    focused.send_keys(Keys.TAB)
    first = browser.switch_to.active_element
    assert first.tag_name == "button" and "6–10" in first.text
    first.send_keys(Keys.TAB)
    second = browser.switch_to.active_element
    assert "11–14" in second.text
    before = len(bot_texts(browser))
    second.send_keys(Keys.ENTER)
    wait_for(browser, lambda d: any("tổ dân phố" in t for t in bot_texts(d)[before:]), "Enter did not press")
    assert browser.find_elements(By.XPATH, "//div[contains(@class,'msg user')]//p[contains(., '11–14')]")
    # The residential group: eleven buttons that must still fit a 360 px phone, then the menu.
    shoot(browser, "group", 360, full=False)
    browser.set_window_size(360, 740)
    group = choice(browser, "Tổ 3")
    assert group.size["width"] >= 44 and group.size["height"] >= 44, "a finger-sized button"
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 360, "no sideways scrolling"
    press(browser, "Tổ 3", "Menu chính")

    # A whole quiz with the mouse.
    press(browser, "Trắc nghiệm", "bộ trắc nghiệm")
    press(browser, "Phụ huynh", "Câu 1/")
    total = int(bot_texts(browser)[-1].split("Câu 1/")[1].split()[0].strip(":.)"))
    for number in range(2, total + 1):
        press(browser, "A", f"Câu {number}/")
        if number == 3:
            shoot(browser, "quiz", 360)
            browser.set_window_size(360, 740)
    press(browser, "A", "Bạn đúng")
    assert len(browser.find_elements(By.CSS_SELECTOR, "#log .choices")) == 1, "old quick replies are cleared"

    # A typed question gets the knowledge base's answer.
    question = "con bị bắt nạt trên mạng thì làm sao"
    expected = ask_one(engine, question).replies[0].text.splitlines()[0][:40]
    box = browser.find_element(By.ID, "q")
    assert browser.find_element(By.CSS_SELECTOR, "label[for=q]").get_attribute("textContent").strip()
    before = len(bot_texts(browser))
    box.send_keys(question, Keys.ENTER)
    wait_for(browser, lambda d: any(expected in t for t in bot_texts(d)[before:]), "no answer to the question")
    assert box.get_attribute("value") == "", "the box is cleared once the question is answered"
    assert browser.switch_to.active_element == box, "typing keeps focus in the box"

    # A child in danger: the emergency card, first.
    before = len(bot_texts(browser))
    box.send_keys("có người dọa tung ảnh nóng của con tôi tối nay", Keys.ENTER)
    wait_for(browser, lambda d: any("111" in t for t in bot_texts(d)[before : before + 1]), "no emergency card")

    # A phone screen: nothing wider than 360 px, thumb-sized buttons, readable contrast.
    browser.set_window_size(360, 740)
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 360
    heights = [b.size["height"] for b in browser.find_elements(By.CSS_SELECTOR, "button")]
    assert heights and min(heights) >= 44, heights
    ratios = browser.execute_script(CONTRAST_JS, "button, .msg .text, .sos, .privacy, .status, h1")
    low = [(label, round(ratio, 2)) for label, ratio in ratios if ratio < 4.5]
    assert not low, f"text below WCAG AA contrast: {low}"
    assert browser.find_element(By.CSS_SELECTOR, "#log").get_attribute("role") == "log"
    shoot(browser, "phone", 360, full=False)
    shoot(browser, "conversation", 360)
    shoot(browser, "conversation", 1280)

    problems = [e for e in browser.get_log("browser") if e["level"] == "SEVERE" and "favicon" not in e["message"]]
    assert not problems, problems


@pytest.fixture
def ward_site(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A stand-in for the ward's website: another origin (localhost, another port)."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as site:
        thread = threading.Thread(target=site.serve_forever, daemon=True)
        thread.start()
        try:
            yield tmp_path, f"http://localhost:{site.server_address[1]}/"
        finally:
            site.shutdown()
            thread.join(5)


def test_the_widget_opens_the_chat_in_a_frame(server: str, browser: WebDriver, ward_site: tuple[Path, str]) -> None:
    """The README's embedding snippet, on a stand-in for the ward's page."""
    folder, address = ward_site
    ward_page = folder / "ward.html"
    snippet = f'<script src="{server}widget.js" defer></script>'
    ward_page.write_text(
        f"<!doctype html><html lang='vi'><head><meta charset='utf-8'><title>UBND phường</title></head>"
        f"<body><h1>Cổng thông tin phường Trung Thành</h1><p>Tin tức…</p>{snippet}</body></html>",
        encoding="utf-8",
    )
    browser.set_window_size(1280, 800)
    browser.get(address + "ward.html")
    opener = wait_for(browser, lambda d: d.find_elements(By.ID, "ats-widget-button"), "no widget button")[0]
    assert opener.get_attribute("aria-expanded") == "false"
    opener.click()
    assert opener.get_attribute("aria-expanded") == "true"
    frame = browser.find_element(By.CSS_SELECTOR, "#ats-widget-panel iframe")
    assert frame.get_attribute("title")
    browser.switch_to.frame(frame)
    choice(browser, "Phụ huynh")
    press(browser, "Phụ huynh", "độ tuổi")
    browser.switch_to.default_content()
    time.sleep(0.2)
    shoot(browser, "widget", 1280)
    browser.find_element(By.CSS_SELECTOR, "#ats-widget-panel button").click()
    assert opener.get_attribute("aria-expanded") == "false"


REPORT = "Bảng,Hàng,Cột,Giá trị\nTheo tổ dân phố,Tổ 3,Lượt,<10\n".encode() + bytes(range(256))


@contextmanager
def in_this_process(chat: WebChat) -> Iterator[str]:
    """The web chat served from this process (its own event loop, in a thread)."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_until_complete, args=(chat.run(),), daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while chat.port is None and thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert chat.port is not None, "the web chat did not start"
        yield f"http://127.0.0.1:{chat.port}/"
    finally:
        loop.call_soon_threadsafe(chat.request_stop)
        thread.join(10)
        loop.close()


@pytest.fixture
def file_server(tmp_path: Path, engine: Engine) -> Iterator[str]:
    """The web chat answering /lienhe with a file as well – what a staff report is on Telegram."""
    config = web_config(tmp_path / "data")
    store = SqliteStore(config.database)
    assistant = Assistant(engine, store, config.idle_seconds, config=config)
    real_handle = assistant.handle

    def handle(incoming: Incoming) -> Outcome:
        outcome = real_handle(incoming)
        if incoming.text == "/lienhe":
            outcome.replies.append(Reply("📊 Báo cáo thống kê ẩn danh", document=Document("bao-cao.csv", REPORT)))
        return outcome

    assistant.handle = handle  # type: ignore[method-assign]
    try:
        with in_this_process(WebChat(config, assistant)) as address:
            yield address
    finally:
        store.close()


def test_a_file_in_a_reply_downloads_in_the_browser(file_server: str, browser: WebDriver, tmp_path: Path) -> None:
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    browser.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    browser.get(file_server)
    choice(browser, "Phụ huynh")
    box = browser.find_element(By.ID, "q")
    box.send_keys("/lienhe", Keys.ENTER)
    link = wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#log .msg.bot a.file"), "no file link")[0]
    assert link.get_attribute("download") == "bao-cao.csv" and "bao-cao.csv" in link.text and "KB" in link.text
    assert link.size["height"] >= 44, "a finger-sized link"
    link.click()
    saved = downloads / "bao-cao.csv"
    wait_for(browser, lambda _d: saved.is_file() and saved.read_bytes() == REPORT, "the file was not downloaded")
    problems = [e for e in browser.get_log("browser") if e["level"] == "SEVERE" and "favicon" not in e["message"]]
    assert not problems, problems


@pytest.fixture
def ward_server(tmp_path: Path, content: Content) -> Iterator[str]:
    """The web chat on content where the ward has filled in its number (a made-up one)."""
    config = web_config(tmp_path / "data")
    store = SqliteStore(config.database)
    assistant = Assistant(Engine.build(ward_filled_in(content), seed=1), store, config.idle_seconds, config=config)
    try:
        with in_this_process(WebChat(config, assistant)) as address:
            yield address
    finally:
        store.close()


def test_every_number_in_the_emergency_card_is_a_tap_to_call_link(ward_server: str, browser: WebDriver) -> None:
    browser.get(ward_server)
    phone_screen(browser, 375, 667)
    choice(browser, "Phụ huynh")
    before = len(bot_texts(browser))
    browser.find_element(By.ID, "q").send_keys("em muốn chết", Keys.ENTER)
    wait_for(browser, lambda d: any("111" in t for t in bot_texts(d)[before : before + 1]), "no emergency card")
    card = browser.find_elements(By.CSS_SELECTOR, "#log .msg.bot .text")[before]
    links = card.find_elements(By.CSS_SELECTOR, "a")
    calls = {link.get_attribute("href") for link in links}
    assert {"tel:111", "tel:113", "tel:114", "tel:115", "tel:0000000"} <= calls, calls
    assert all(link.text == link.get_attribute("href")[4:] or link.text == "0000 000" for link in links)
    # Every "111" in the card's text is inside a link: none left as plain text to copy by hand.
    plain = browser.execute_script(
        "return Array.from(arguments[0].childNodes).filter(n => n.nodeType === 3).map(n => n.data).join('')", card
    )
    for number in ("111", "113", "114", "115", "0000 000"):
        assert not re.search(rf"(?<![\w./]){number}(?!\w)", plain), f"{number} left as plain text"
    assert len(re.findall(r"(?<![\w./])111(?!\w)", card.text)) == sum(link.text == "111" for link in links)
    # Text is never read as HTML: only text and the links the page made.
    tags = browser.execute_script("return Array.from(arguments[0].children).map(e => e.tagName)", card)
    assert set(tags) == {"A"}, tags
    ratios = browser.execute_script(CONTRAST_JS, "#log .msg.bot a.tel")
    assert ratios and min(ratio for _, ratio in ratios) >= 4.5, ratios


BANNER_JS = """
const sos = document.querySelector('.sos').getBoundingClientRect();
const box = document.getElementById('q').getBoundingClientRect();
const at = (r) => document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
return {
  sos: [sos.top, sos.bottom], box: [box.top, box.bottom], height: window.innerHeight,
  sosOnTop: !!at(sos) && !!at(sos).closest('.sos'), boxOnTop: at(box) === document.getElementById('q'),
  scrolled: document.getElementById('scroller').scrollTop,
  call: document.querySelector('.sos a[href="tel:111"]') !== null
};
"""


def test_the_111_line_stays_on_a_phone_screen(server: str, browser: WebDriver) -> None:
    """On a 375x667 phone, after a long conversation has scrolled, the 111 line is still on screen,
    not covered and not covering the box to type in."""
    browser.get(server)
    phone_screen(browser, 375, 667)
    choice(browser, "Phụ huynh")
    box = browser.find_element(By.ID, "q")
    for question in ("có người dọa tung ảnh nóng của con tôi tối nay", "con bị bắt nạt trên mạng thì làm sao"):
        before = len(bot_texts(browser))
        box.send_keys(question, Keys.ENTER)
        wait_for(browser, lambda d, n=before: len(bot_texts(d)) > n, "no reply")
    browser.execute_script("const s = document.getElementById('scroller'); s.scrollTop = s.scrollHeight;")
    seen = browser.execute_script(BANNER_JS)
    assert browser.execute_script("return [window.innerWidth, window.innerHeight]") == [375, 667]
    assert seen["scrolled"] > 300, f"the conversation did not scroll: {seen}"
    assert seen["sos"][0] >= 0 and seen["sos"][1] <= seen["height"], f"the 111 line left the screen: {seen}"
    assert seen["sosOnTop"] and seen["boxOnTop"] and seen["call"], seen
    assert seen["sos"][1] <= seen["box"][0], f"the 111 line overlaps the input: {seen}"
    assert seen["box"][1] <= seen["height"], f"the input left the screen: {seen}"
    shoot(browser, "phone-scrolled", 375, full=False)


def test_a_link_in_the_users_own_bubble_is_readable(server: str, browser: WebDriver) -> None:
    browser.get(server)
    choice(browser, "Phụ huynh")
    browser.find_element(By.ID, "q").send_keys("trang https://example.com/tin-tuc này có an toàn không", Keys.ENTER)
    link = wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#log .msg.user a"), "no link in the bubble")
    assert link[0].get_attribute("href") == "https://example.com/tin-tuc"
    ratios = browser.execute_script(CONTRAST_JS, "#log .msg.user a")
    assert ratios and min(ratio for _, ratio in ratios) >= 4.5, f"unreadable link in the user's bubble: {ratios}"
