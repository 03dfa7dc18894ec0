"""The static site in a real browser: Debian's headless Chromium driven by selenium, from file:// and over HTTP."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from helpers_site import bank_data, make_bank, qtool

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
WAIT = 20  # seconds selenium waits for a condition before the test fails
LIGHT_BG = "rgb(255, 255, 255)"
DARK_BG = "rgb(21, 23, 27)"  # --bg under prefers-color-scheme: dark in site.css


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_bank(tmp_path_factory.mktemp("site-bank"))
    done = qtool(root, "export", "--to", "site", "--include-drafts")
    assert done.returncode == 0, done.stderr
    return root / "exports" / "site"


def _ids(site: Path, keep: Any) -> set[str]:
    """The ids of the bank's questions that ``keep(data)`` accepts (what a filter should show)."""
    return {q["id"] for q in bank_data(site.parent.parent) if keep(q)}


@pytest.fixture(scope="module")
def server(site: Path) -> Iterator[str]:
    yield from _serve(site)


def _serve(site: Path) -> Iterator[str]:
    """``python -m http.server`` on 127.0.0.1 (a free port it picks itself), ready once it accepts a connection."""
    process = subprocess.Popen([sys.executable, "-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", str(site)],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # "Serving HTTP on 127.0.0.1 port N (...) ..."
        match = re.search(r"port (\d+)", line)
        assert match, f"http.server said {line!r}"
        port = int(match.group(1))
        for _ in range(1000):  # poll the socket: it is ready once it accepts
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert process.poll() is None, "http.server exited"
        yield f"http://127.0.0.1:{port}/"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if not (CHROMIUM and DRIVER):
        pytest.skip("no chromium and chromium-driver (apt-get install -y chromium chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=1100,900", f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=DRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def _problems(driver: Any) -> list[str]:
    """Console errors and CSP reports since the last call (reading the log empties it)."""
    return [entry["message"] for entry in driver.get_log("browser")
            if entry["level"] in ("SEVERE", "WARNING") or "Content Security Policy" in entry["message"]]


def _wait(driver: Any, condition: Any) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT).until(condition)


def _results(driver: Any) -> list[tuple[str, str]]:
    from selenium.webdriver.common.by import By

    return [(li.find_element(By.TAG_NAME, "a").get_attribute("href"), li.text) for li in driver.find_elements(By.CSS_SELECTOR, "#results li")]


#: WCAG contrast ratio of an element's text colour against the page background, computed by the browser's own colours.
CONTRAST = """
const rgb = (css) => css.match(/[\\d.]+/g).slice(0, 3).map(Number);
const lum = (c) => { const [r, g, b] = c.map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
                     return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
const bg = lum(rgb(getComputedStyle(document.body).backgroundColor));
return [...document.querySelectorAll(arguments[0])].map(e => { const fg = lum(rgb(getComputedStyle(e).color));
  return (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05); });
"""


def _contrasts(driver: Any) -> list[float]:
    return [ratio for selector in ("body", "a", ".meta", "h1", "dt", ".hint") for ratio in driver.execute_script(CONTRAST, selector)]


def _state(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).fragment)


@pytest.mark.parametrize("where", ["file", "http"])
def test_search_filter_reveal_dark_mode(where: str, site: Path, browser: Any, request: pytest.FixtureRequest,
                                        tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    base = site.as_uri() + "/" if where == "file" else request.getfixturevalue("server")
    driver = browser
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "light"}]})
    _problems(driver)
    driver.get(base + "index.html")
    total = len(bank_data(site.parent.parent))
    _wait(driver, lambda d: d.find_element(By.ID, "count").text == f"{total} questions")
    assert len(_results(driver)) == total

    # Type a search: only the matching question is left, and the address keeps the search.
    driver.find_element(By.ID, "q").send_keys("production incident")
    _wait(driver, lambda d: d.find_element(By.ID, "count").text == f"1 of {total} questions match")
    (href, text), = _results(driver)
    assert href.endswith("/software-engineer/production-incident/index.html")
    assert "Describe a production incident" in text
    assert _state(driver.current_url) == {"q": ["production incident"]}

    # A filter: the search cleared, role = Software Engineer and status = draft leaves the draft only.
    driver.find_element(By.ID, "q").clear()
    driver.find_element(By.ID, "q").send_keys(" ")
    Select(driver.find_element(By.ID, "f-role")).select_by_visible_text("Software Engineer")
    engineers = _ids(site, lambda q: q["role"] == "Software Engineer")
    _wait(driver, lambda d: d.find_element(By.ID, "count").text == f"{len(engineers)} of {total} questions match")
    assert all("Software Engineer" in text for _, text in _results(driver))
    assert {href.rsplit("/", 3)[-3] + "/" + href.rsplit("/", 2)[-2] for href, _ in _results(driver)} == engineers
    Select(driver.find_element(By.ID, "f-status")).select_by_value("draft")
    _wait(driver, lambda d: d.find_element(By.ID, "count").text == f"1 of {total} questions match")
    assert _results(driver)[0][0].endswith("/software-engineer/draft-onboarding/index.html")
    state = _state(driver.current_url)
    assert state["role"] == ["software-engineer"] and state["status"] == ["draft"]

    # A shared address opens the same view.
    shared = base + "index.html#category=technical&competency=technical-expertise"
    driver.get("about:blank")
    driver.get(shared)
    wanted = _ids(site, lambda q: q["category"] == "technical" and "Technical expertise" in q["competencies"])
    assert len(wanted) >= 2
    _wait(driver, lambda d: d.find_element(By.ID, "count").text == f"{len(wanted)} of {total} questions match")
    assert Select(driver.find_element(By.ID, "f-category")).first_selected_option.text == "technical"
    assert {href.rsplit("/", 3)[-3] + "/" + href.rsplit("/", 2)[-2] for href, _ in _results(driver)} == wanted
    driver.save_screenshot(str(tmp_path / "home.png"))

    # Open a question from the results; tiers are hidden until revealed.
    driver.get(base + "index.html#q=code+review")
    _wait(driver, lambda d: len(_results(d)) == 1)
    driver.find_element(By.CSS_SELECTOR, "#results a").click()
    _wait(driver, lambda d: d.current_url.endswith("/software-engineer/code-review-disagreement/index.html"))
    assert driver.find_element(By.TAG_NAME, "h1").text.startswith("How would you handle a code review")
    solid = driver.find_element(By.ID, "solid")
    text = solid.find_element(By.CSS_SELECTOR, ":scope > .text")
    assert not text.is_displayed()
    solid.find_element(By.TAG_NAME, "summary").click()
    _wait(driver, lambda d: text.is_displayed())
    assert "separating preference from risk" in text.text
    critique = solid.find_element(By.CSS_SELECTOR, "details.critique > .text")
    assert not critique.is_displayed()
    related = driver.find_element(By.CSS_SELECTOR, "#related + ul a")
    assert related.get_attribute("href").endswith("/software-engineer/design-trade-off/index.html")

    # Dark mode follows prefers-color-scheme.
    body_bg = "return getComputedStyle(document.body).backgroundColor"
    assert driver.execute_script(body_bg) == LIGHT_BG
    assert min(_contrasts(driver)) >= 4.5  # WCAG AA for text
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"}]})
    assert driver.execute_script(body_bg) == DARK_BG
    assert min(_contrasts(driver)) >= 4.5
    driver.save_screenshot(str(tmp_path / "question.png"))

    # Printing opens every answer (print CSS and a beforeprint handler).
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print", "features": [{"name": "prefers-color-scheme", "value": "light"}]})
    assert driver.execute_script("window.dispatchEvent(new Event('beforeprint'));"
                                 "return [...document.querySelectorAll('details')].every(d => d.open)")
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "", "features": [{"name": "prefers-color-scheme", "value": "light"}]})

    driver.get(base + "_coverage/index.html")
    heat = driver.find_element(By.CSS_SELECTOR, "svg.chart")
    assert heat.is_displayed() and heat.size["width"] > 200
    assert driver.find_element(By.ID, "drafts").text == "Drafts waiting for review (1)"
    driver.save_screenshot(str(tmp_path / "coverage.png"))
    for name in ("home", "question", "coverage"):
        assert (tmp_path / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # On a phone-sized window no page is wider than the screen (charts and tables scroll in their boxes).
    driver.set_window_size(390, 844)
    try:
        for page in ("index.html", "software-engineer/hostile-input/index.html", "_coverage/index.html", "_browse/index.html"):
            driver.get(base + page)
            assert driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth"), page
    finally:
        driver.set_window_size(1100, 900)

    assert _problems(driver) == []


def test_csp_blocks_inline_script(site: Path, browser: Any, tmp_path: Path) -> None:
    """The pages' Content-Security-Policy really refuses an inline script (so the check above means something)."""
    page = (site / "index.html").read_text(encoding="utf-8")
    evil = site / "_csp-probe.html"
    evil.write_text(page.replace("</main>", "<script>document.title = 'inline ran';</script></main>"), encoding="utf-8")
    try:
        _problems(browser)
        browser.get(evil.as_uri())
        assert browser.title != "inline ran"
        assert any("Content Security Policy" in message for message in _problems(browser))
    finally:
        evil.unlink()


# -- full-text search with Pagefind (an option for hosted sites) ------------------------------

@pytest.fixture(scope="module")
def pagefind_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("pagefind_bin", reason="no pagefind-bin (pip install pagefind-bin)")
    root = make_bank(tmp_path_factory.mktemp("pagefind-bank"))
    (root / "pyproject.toml").write_text("[tool.qtool.site]\npagefind = true\n", encoding="utf-8")
    done = qtool(root, "export", "--to", "site")
    assert done.returncode == 0, done.stderr
    return root / "exports" / "site"


def _answer_word(root: Path) -> tuple[str, str]:
    """A word of one question's answers that no question's text (what the small index searches) holds; and that id."""
    questions = [q for q in bank_data(root) if q["status"] != "draft"]
    titles = {word for q in questions for word in re.findall(r"[a-z]+", (q["question"] + " " + q["id"]).lower())}
    for q in questions:
        answers = " ".join(tier.get("text", "") for tier in q["answers"].values())
        for word in sorted(set(re.findall(r"[a-z]{9,}", answers.lower()))):
            if word not in titles:
                return word, q["id"]
    raise AssertionError("no word of the answers is missing from every question")


def test_pagefind_finds_words_of_the_answers_over_http_and_stays_quiet_from_file(pagefind_site: Path, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    word, wanted = _answer_word(pagefind_site.parent.parent)
    total = len([q for q in bank_data(pagefind_site.parent.parent) if q["status"] != "draft"])
    driver = browser
    for base in _serve(pagefind_site):
        _problems(driver)
        driver.get(base + "index.html")
        _wait(driver, lambda d: d.find_element(By.ID, "count").text == f"{total} questions")
        driver.find_element(By.ID, "q").send_keys(word)
        _wait(driver, lambda d: d.find_element(By.ID, "count").text == f"0 of {total} questions match")
        _wait(driver, lambda d: d.find_element(By.ID, "fulltext").is_displayed()
              and d.find_elements(By.CSS_SELECTOR, "#fulltext-results li"))
        links = [a.get_attribute("href") for a in driver.find_elements(By.CSS_SELECTOR, "#fulltext-results li > a")]
        assert base + f"{wanted}/index.html" in links
        marks = [m.text.lower() for m in driver.find_elements(By.CSS_SELECTOR, "#fulltext-results mark")]
        assert any(word[:6] in mark for mark in marks), marks
        driver.find_element(By.CSS_SELECTOR, f'#fulltext-results a[href$="{wanted}/index.html"]').click()
        _wait(driver, lambda d, base=base: d.current_url == base + f"{wanted}/index.html")
        assert _problems(driver) == []  # Pagefind (its script, worker and WebAssembly) ran under the site's CSP

        # With Pagefind's files in the site, the home page's policy still refuses an inline script.
        home = (pagefind_site / "index.html").read_text(encoding="utf-8")
        probe = pagefind_site / "_csp-probe.html"
        probe.write_text(home.replace("</main>", "<script>document.title = 'inline ran';</script></main>"), encoding="utf-8")
        try:
            driver.get(base + "_csp-probe.html")
            assert driver.title != "inline ran"
            assert any("Content Security Policy" in message for message in _problems(driver))
        finally:
            probe.unlink()

    # From file:// browsers refuse the module import: the section stays hidden and nothing is logged.
    driver.get((pagefind_site / "index.html").as_uri())
    _wait(driver, lambda d: d.find_element(By.ID, "count").text == f"{total} questions")
    driver.find_element(By.ID, "q").send_keys(word)
    _wait(driver, lambda d: d.find_element(By.ID, "count").text == f"0 of {total} questions match")
    assert not driver.find_element(By.ID, "fulltext").is_displayed()
    assert _problems(driver) == []
