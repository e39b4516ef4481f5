"""The built site as a reader meets it: on a laptop and on a phone, in light and in dark mode, and to a screen reader.

Every page is opened in Debian's Chromium (driven by Playwright; no browser is downloaded) at 1280x900 and at 390x844,
each in light and in dark mode (the theme follows the reader's ``prefers-color-scheme``), and fails when

- a display equation is wider than its column at laptop width (on a phone it may scroll inside its own box, but it
  must scroll there, not be cut off or push the page sideways);
- at laptop width a code block, an output or a table needs a horizontal scroll bar;
- on a phone the page itself scrolls sideways;
- the text speaks of how the course was made: an issue reference ("issue 12", "#12"), a remark about the build machine,
  an equation label where its number belongs ("(eq-lstm-flops)"), a tooling marker (``NBVAL_``, ``noqa``, ...);
- an image has no description (no ``alt``, an empty one, or a file name);
- the sidebar numbers a graded exercise like a section of a chapter ("2.12. Exercise ..."), or a laptop page shows
  more than one search box;
- axe-core reports a serious or critical accessibility violation (every rule in light mode; the colour rules, which
  are all that dark mode changes, in dark mode).

Screenshots of a few pages at both widths and in both modes are kept in ``_build/screenshots/`` for a person to look at.

``test_the_checks_catch_what_they_must`` proves that the checks can fail: it injects each kind of defect into a copy of
a built page and asserts that the same functions the real test uses report it, and that the untouched page passes.
Measurements allow 1 CSS pixel for rounding; nothing else is tolerated.
"""

import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO, chromium_or_skip, import_or_skip, install_hint, serve, site_pages

VIEWPORTS = {"laptop": (1280, 900), "phone": (390, 844)}
SCHEMES = ("light", "dark")
#: Rounding slack for every width comparison, in CSS pixels.
TOLERANCE_PX = 1
#: Code on the page is written to stay under this many characters a line (STYLE.md); at laptop width the code column
#: must hold at least that many.
CODE_LINE_CHARACTERS = 88
#: Pages photographed at both widths and in both modes.
SCREENSHOT_PAGES = ("intro.html", "chapters/04_cell_backward.html", "exercises/03_cell_backward.html",
                    "chapters/09_making_it_fast.html")
SCREENSHOTS = REPO / "_build" / "screenshots"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--font-render-hinting=none"]
REDIRECT = re.compile(r'^<meta http-equiv="Refresh" content="0; url=([^"]+)" />', re.IGNORECASE)


@dataclass(frozen=True)
class Problem:
    kind: str  # one of the keys of KINDS
    page: str
    where: str  # the viewport and mode, or "" when it does not depend on them
    detail: str

    def __str__(self):
        where = f" [{self.where}]" if self.where else ""
        return f"{self.page}{where}: {KINDS[self.kind]}: {self.detail}"


KINDS = {
    "equation": "display equation wider than its column",
    "scrollbar": "needs a horizontal scroll bar at laptop width",
    "page-scrolls": "the page scrolls sideways",
    "text": "text a reader should not see",
    "image": "image without a description",
    "axe": "accessibility violation (axe-core)",
    "mode": "colour mode not applied",
    "search": "not exactly one search box",
    "numbering": "a graded exercise numbered like a section",
}

# --- what the browser measures --------------------------------------------------------------------------------

LAYOUT_REPORT = """async (tolerance) => {
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) { await MathJax.startup.promise; }
    await document.fonts.ready;
    const vw = document.documentElement.clientWidth;
    const article = document.querySelector('article') || document.querySelector('main') || document.body;
    const describe = (e) => {
        const name = e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
            + Array.from(e.classList).slice(0, 2).map(c => '.' + c).join('');
        const section = e.closest('section[id]');
        const text = (e.innerText || e.textContent || '').trim().split('\\n')
            .reduce((a, b) => (b.length > a.length ? b : a), '');
        return `${name}${section ? ' in #' + section.id : ''}, longest line ${text.length} characters: `
            + JSON.stringify(text.slice(0, 70));
    };
    const scrolls = (e) => ['auto', 'scroll'].includes(getComputedStyle(e).overflowX);

    // Display equations: the typeset formula against the box MathJax draws it in (the column left beside the number).
    const equations = [];
    for (const box of article.querySelectorAll('mjx-container[display="true"]')) {
        const math = box.querySelector('mjx-math');
        if (!math || box.offsetParent === null) { continue; }
        const content = Math.max(math.getBoundingClientRect().width, box.scrollWidth);
        const number = box.closest('div.math')?.querySelector('.eqno')?.textContent.replace('#', '').trim();
        const tex = box.querySelector('mjx-assistive-mml math')?.getAttribute('alttext') || '';
        equations.push({content, column: box.clientWidth, scrolls: scrolls(box),
                        label: number || (box.closest('[id]')?.id ?? ''),
                        text: (box.textContent || tex).slice(0, 60)});
    }

    // Code blocks, outputs and tables, and any box in the article that scrolls sideways (not equations).
    const wide = [];
    const boxes = new Set(article.querySelectorAll(
        'pre, table, .highlight, .output, .cell_output, div.pst-scrollable-table-container'));
    for (const e of article.querySelectorAll('*')) { if (scrolls(e)) { boxes.add(e); } }
    for (const e of boxes) {
        if (e.closest('mjx-container') || e.offsetParent === null) { continue; }
        if (e.scrollWidth > e.clientWidth + tolerance) {
            wide.push({what: describe(e), scroll: e.scrollWidth, client: e.clientWidth});
        }
    }

    // The page itself: wider than the viewport, and which elements stick out of it (outside any scrolling box).
    const pageWidth = Math.max(document.documentElement.scrollWidth, document.body.scrollWidth);
    const stickingOut = [];
    if (pageWidth > vw + tolerance) {
        for (const e of document.body.querySelectorAll('*')) {
            const r = e.getBoundingClientRect();
            if (r.width === 0 || r.right <= vw + tolerance) { continue; }
            let inside = false;
            for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) {
                const o = getComputedStyle(p).overflowX;
                if (o !== 'visible') { inside = true; break; }
            }
            if (!inside) { stickingOut.push(`${describe(e)} reaches ${Math.round(r.right)} px`); }
            if (stickingOut.length >= 5) { break; }
        }
    }

    // How many monospace characters the code column holds (the narrowest code block on the page).
    let codeCharacters = null;
    const pres = Array.from(article.querySelectorAll('div.highlight pre')).filter(p => p.offsetParent !== null);
    if (pres.length) {
        const probe = document.createElement('span');
        probe.textContent = 'x'.repeat(100);
        pres[0].appendChild(probe);
        const charWidth = probe.getBoundingClientRect().width / 100;
        probe.remove();
        codeCharacters = Math.min(...pres.map(p => {
            const s = getComputedStyle(p);
            return Math.floor((p.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight)) / charWidth);
        }));
    }

    // The words on the page (dropdowns included, since a reader opens them), with and without code.
    const clone = document.body.cloneNode(true);
    clone.querySelectorAll('script, style, noscript, template, mjx-container, a.headerlink').forEach(e => e.remove());
    const allText = clone.textContent;
    clone.querySelectorAll('pre, code, .highlight, .cell_output, .output').forEach(e => e.remove());
    const images = Array.from(document.images).map(i => ({src: i.getAttribute('src'), alt: i.getAttribute('alt')}));

    // Search boxes a reader can see (the sidebar's may be scrolled out of view, but it is there).
    const searchBoxes = Array.from(document.querySelectorAll('.search-button-field, form.bd-search'))
        .filter(e => e.offsetParent !== null && getComputedStyle(e).visibility === 'visible'
                     && e.getBoundingClientRect().width > 0).length;

    return {theme: document.documentElement.dataset.theme, viewport: vw, pageWidth, stickingOut, equations, wide,
            codeCharacters, allText, proseText: clone.textContent, images, searchBoxes,
            exerciseLinks: Array.from(document.querySelectorAll('.bd-sidenav a[href*="exercises/"]'))
                .map(a => a.textContent.trim())};
}"""


# --- the checks (pure functions of a report, shared with the test that proves they can fail) -----------------------

FORBIDDEN_TEXT = [
    ("an issue reference", re.compile(r"\bissues?\s*#?\s*\d+", re.IGNORECASE)),
    ("a remark about the build machine",
     re.compile(r"\bth(?:is|ese)\s+machines?\b|\bdocker\s+engine\b|(?<![\w.])/root\b|\bchmod\b", re.IGNORECASE)),
    ("an equation label where its number belongs", re.compile(r"(?<![\w-])eq-[a-z0-9][\w-]*", re.IGNORECASE)),
    ("a tooling marker", re.compile(r"NBVAL_|\bnoqa\b|\btype:\s*ignore\b|\bpragma\b", re.IGNORECASE)),
]
#: "#12" is an issue or pull-request number in prose; in code, `#` starts a comment or a colour.
FORBIDDEN_PROSE = [("an issue reference", re.compile(r"(?<![\w&#/])#\d+\b"))]
FILE_NAME = re.compile(r"(^|/)[\w.-]+\.(png|jpe?g|gif|svg|webp|pdf)$", re.IGNORECASE)
PLACEHOLDER_ALT = {"image", "figure", "picture", "graph", "plot", "png", "output", "img", "chart"}


def _snippet(text, match):
    start, end = max(match.start() - 50, 0), min(match.end() + 50, len(text))
    return " ".join(text[start:end].split())


def check_layout(report, page, viewport, scheme):
    """Problems of width: equations, code/outputs/tables (laptop), the page itself (phone)."""
    where = f"{viewport} {scheme}"
    problems = []
    if report["theme"] != scheme:
        problems.append(Problem("mode", page, where, f"the page shows data-theme={report['theme']!r}"))
    for eq in report["equations"]:
        too_wide = eq["content"] > eq["column"] + TOLERANCE_PX
        if too_wide and (viewport == "laptop" or not eq["scrolls"]):
            how = "" if eq["scrolls"] else " and is cut off (its box does not scroll)"
            problems.append(Problem("equation", page, where,
                                    f"equation {eq['label'] or ''} is {eq['content']:.0f} px wide in a "
                                    f"{eq['column']} px column{how}: {eq['text']!r}"))
    if viewport == "laptop" and report["searchBoxes"] != 1 and not page.startswith("search"):
        problems.append(Problem("search", page, where, f"{report['searchBoxes']} visible search boxes"))
    if viewport == "laptop":
        for box in report["wide"]:
            problems.append(Problem("scrollbar", page, where,
                                    f"{box['what']} ({box['scroll']} px of content in {box['client']} px)"))
    if report["pageWidth"] > report["viewport"] + TOLERANCE_PX:
        culprits = "; ".join(report["stickingOut"]) or "no single element found"
        problems.append(Problem("page-scrolls", page, where,
                                f"{report['pageWidth']} px wide in a {report['viewport']} px viewport ({culprits})"))
    return problems


def check_text(report, page):
    """Problems in the words of a page: how the course was made must not show."""
    problems = []
    for what, pattern in FORBIDDEN_TEXT:
        for match in pattern.finditer(report["allText"]):
            problems.append(Problem("text", page, "", f"{what}: …{_snippet(report['allText'], match)}…"))
    for what, pattern in FORBIDDEN_PROSE:
        for match in pattern.finditer(report["proseText"]):
            problems.append(Problem("text", page, "", f"{what}: …{_snippet(report['proseText'], match)}…"))
    return problems


def check_numbering(report, page):
    """The sidebar lists the graded exercises without section numbers ("2.12. Exercise ..."): exercises have one
    numbering scheme, their own."""
    return [Problem("numbering", page, "", f"sidebar entry {text!r}")
            for text in report.get("exerciseLinks", []) if re.match(r"\d+(\.\d+)+\.?\s", text)]


def check_images(report, page):
    """Every image says what it shows: an alt text that is not empty, not a file name, not a placeholder."""
    problems = []
    for image in report["images"]:
        alt = (image["alt"] or "").strip()
        if image["alt"] is None:
            why = "no alt attribute"
        elif not alt:
            why = "an empty alt text"
        elif FILE_NAME.search(alt) or alt == (image["src"] or ""):
            why = f"a file name as alt text ({alt[:60]!r})"
        elif alt.lower() in PLACEHOLDER_ALT or len(alt.split()) < 2:
            why = f"a placeholder alt text ({alt!r})"
        else:
            continue
        problems.append(Problem("image", page, "", f"{image['src']}: {why}"))
    return problems


#: The axe-core rules whose outcome depends on the colour mode. Light mode runs every rule; dark mode, which changes
#: nothing but colours, runs these (the full set takes most of the test's time on pages with much math).
COLOUR_RULES = ["color-contrast", "link-in-text-block"]


def check_accessibility(axe, browser_page, page, viewport, scheme):
    """axe-core's serious and critical violations on the page as it is shown (every rule in light mode, the colour
    rules in dark mode)."""
    options = {"resultTypes": ["violations"]}
    if scheme != "light":
        options["runOnly"] = {"type": "rule", "values": COLOUR_RULES}
    results = axe.run(browser_page, options=options).response
    problems = []
    for violation in results["violations"]:
        if violation.get("impact") not in ("serious", "critical"):
            continue
        targets = ", ".join(" ".join(map(str, node["target"])) for node in violation["nodes"][:4])
        more = f" and {len(violation['nodes']) - 4} more" if len(violation["nodes"]) > 4 else ""
        summary = (violation["nodes"][0].get("failureSummary") or "").replace("\n", " ")[:200]
        problems.append(Problem("axe", page, f"{viewport} {scheme}",
                                f"{violation['id']} ({violation['impact']}): {violation['help']}; "
                                f"{targets}{more}. {summary}"))
    return problems


def inspect(browser_page, url, page, viewport, scheme, *, words=True, axe=None):
    """Open ``url`` (or, with ``url=None``, stay on the page) and return (problems, report) for it at the current
    viewport and colour scheme."""
    if url is not None:
        browser_page.goto(url, wait_until="load")
    report = browser_page.evaluate(LAYOUT_REPORT, TOLERANCE_PX)
    problems = check_layout(report, page, viewport, scheme)
    if words:
        problems += check_text(report, page) + check_images(report, page) + check_numbering(report, page)
    if axe is not None:
        problems += check_accessibility(axe, browser_page, page, viewport, scheme)
    return problems, report


# --- running the browser --------------------------------------------------------------------------------------


def _contexts(browser, base):
    """One browser context per (viewport, scheme), each refusing every request that leaves the local server."""
    def keep_local(route):
        url = route.request.url
        if url.startswith(base) or url.startswith(("data:", "blob:", "about:")):
            route.continue_()
        else:
            route.abort()

    contexts = {}
    for scheme in SCHEMES:
        for viewport, (width, height) in VIEWPORTS.items():
            context = browser.new_context(viewport={"width": width, "height": height}, color_scheme=scheme,
                                          device_scale_factor=1)
            context.route("**/*", keep_local)
            contexts[viewport, scheme] = context
    return contexts


def _switch_scheme(browser_page, scheme):
    """Tell the page the reader's system switched to ``scheme``; the theme (mode "auto") follows it."""
    browser_page.emulate_media(color_scheme=scheme)
    try:
        browser_page.wait_for_function("s => document.documentElement.dataset.theme === s", arg=scheme,
                                       timeout=5_000)
    except Exception:  # check_layout reports the mode the page shows
        pass


def _reader_pages(html):
    """(name, path) of every page a reader can open; bare redirects (index.html) are skipped."""
    pages = []
    for path in site_pages(html):
        if not REDIRECT.search(path.read_text(encoding="utf8")):
            pages.append((path.relative_to(html).as_posix(), path))
    return pages


@pytest.fixture(scope="module")
def browser_tools():
    chromium = chromium_or_skip()
    sync_api = import_or_skip("playwright.sync_api", install_hint("test"))
    axe_module = import_or_skip("axe_playwright_python.sync_playwright", install_hint("test"))
    return chromium, sync_api, axe_module.Axe()


def test_every_page_fits_reads_clean_and_is_accessible(site, browser_tools):
    """Every page at 1280x900 and 390x844, light and dark: layout, words, images, axe-core; screenshots kept."""
    chromium, sync_api, axe = browser_tools
    pages = _reader_pages(site)
    assert len(pages) > 10, f"only {len(pages)} pages were built"
    if SCREENSHOTS.exists():
        shutil.rmtree(SCREENSHOTS)
    SCREENSHOTS.mkdir(parents=True)
    problems, code_columns, started = [], {}, time.perf_counter()
    with serve(site) as base, sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        contexts = _contexts(browser, base)
        for viewport in VIEWPORTS:
            # Each page is loaded once per width, in light mode, then switched to dark mode the way a reader's
            # system switches it (the theme follows prefers-color-scheme), and checked again.
            browser_page = contexts[viewport, "light"].new_page()
            for name, _ in pages:
                for scheme in SCHEMES:
                    if scheme != "light":
                        _switch_scheme(browser_page, scheme)
                    found, report = inspect(browser_page, base + name if scheme == "light" else None, name,
                                            viewport, scheme, words=(viewport, scheme) == ("laptop", "light"),
                                            axe=axe if viewport == "laptop" else None)
                    problems += found
                    if report["codeCharacters"] is not None:
                        code_columns[viewport, name] = report["codeCharacters"]
                    if name in SCREENSHOT_PAGES:
                        stem = name.replace("/", "_").removesuffix(".html")
                        browser_page.screenshot(path=str(SCREENSHOTS / f"{stem}-{viewport}-{scheme}.png"),
                                                full_page=True)
                _switch_scheme(browser_page, "light")
        for context in contexts.values():
            context.close()
        browser.close()
    elapsed = time.perf_counter() - started
    laptop = {name: chars for (viewport, name), chars in code_columns.items() if viewport == "laptop"}
    print(f"\n{len(pages)} pages x {len(VIEWPORTS) * len(SCHEMES)} views in {elapsed:.0f} s; "
          f"the laptop code column holds {min(laptop.values(), default=0)}-{max(laptop.values(), default=0)} "
          f"characters; screenshots in {SCREENSHOTS}")
    narrow = {name: chars for name, chars in laptop.items() if chars < CODE_LINE_CHARACTERS}
    for name, chars in sorted(narrow.items()):
        problems.append(Problem("scrollbar", name, "laptop",
                                f"the code column holds {chars} characters, fewer than {CODE_LINE_CHARACTERS}"))
    assert not problems, (f"{len(problems)} problem(s) on {len(pages)} pages:\n"
                          + "\n".join(sorted(set(map(str, problems)))))


# --- the checks can fail ---------------------------------------------------------------------------------------

#: A page with math, code and a figure, and what is injected into copies of it, keyed by the problem it must cause.
SAMPLE_PAGE = "chapters/01_recurrent_networks.html"
TERMS = " + ".join(f"W_{{{k}}} x^{{\\langle {k} \\rangle}}" for k in range(1, 41))
INJECTIONS = {
    "equation": f'<div class="math notranslate nohighlight">\\[ z = {TERMS} \\]</div>',
    "scrollbar": ('<div class="highlight-python notranslate"><div class="highlight"><pre><span></span>'
                  f"weights = [{', '.join(str(0.125 * k) for k in range(40))}]</pre></div></div>"),
    "text": "<p>The targets of issue 12 are met.</p>",
    "image": '<img src="{image}">',
}


def _tamper(html_file, snippet):
    text = html_file.read_text(encoding="utf8")
    anchor = re.search(r'<article class="bd-article"[^>]*>', text)
    assert anchor, f"{html_file.name} has no <article class=\"bd-article\"> to inject into"
    return text[:anchor.end()] + snippet + text[anchor.end():]


def test_the_checks_catch_what_they_must(site, browser_tools, tmp_path):
    """Each injected defect is reported, by kind, at laptop width; the untouched page is clean."""
    chromium, sync_api, axe = browser_tools
    copy = tmp_path / "site"
    shutil.copytree(site, copy)
    original = copy / SAMPLE_PAGE
    image = next(iter(sorted((copy / "_images").glob("*.png"))), None)
    assert image is not None, "the site has no figure to reuse"
    tampered = {}
    for kind, snippet in INJECTIONS.items():
        target = original.with_name(f"tampered-{kind}.html")
        target.write_text(_tamper(original, snippet.replace("{image}", f"../_images/{image.name}")), encoding="utf8")
        tampered[kind] = target.relative_to(copy).as_posix()

    with serve(copy) as base, sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        contexts = _contexts(browser, base)
        try:
            for scheme in SCHEMES:
                browser_page = contexts["laptop", scheme].new_page()
                clean, _ = inspect(browser_page, base + SAMPLE_PAGE, SAMPLE_PAGE, "laptop", scheme, axe=axe)
                # The sidebar's numbering comes from _toc.yml, the same on every page: the main test reports it.
                clean = [problem for problem in clean if problem.kind != "numbering"]
                assert not clean, "the untouched page must pass:\n" + "\n".join(map(str, clean))
            browser_page = contexts["laptop", "light"].new_page()
            for kind, name in tampered.items():
                found, _ = inspect(browser_page, base + name, name, "laptop", "light",
                                   axe=axe if kind == "image" else None)
                kinds = {problem.kind for problem in found}
                assert kind in kinds, f"the injected {KINDS[kind]} was not reported; found: {[str(p) for p in found]}"
                if kind == "image":
                    assert any(p.kind == "axe" and "image-alt" in p.detail for p in found), \
                        "axe-core did not report the image without alt text"
            # On a phone the too-wide equation may scroll inside its own box, but the page must not scroll sideways.
            phone = contexts["phone", "light"].new_page()
            found, report = inspect(phone, base + tampered["equation"], tampered["equation"], "phone", "light")
            assert report["pageWidth"] <= report["viewport"] + TOLERANCE_PX, [str(p) for p in found]
            phone.set_content("<html><body><div style='width: 900px'>too wide</div></body></html>")
            report = phone.evaluate(LAYOUT_REPORT, TOLERANCE_PX)
            assert any(p.kind == "page-scrolls" for p in check_layout(report, "inline", "phone", "light"))
        finally:
            for context in contexts.values():
                context.close()
            browser.close()


def test_text_and_image_checks_on_known_strings():
    """The word and image rules, on strings: each forbidden phrase is caught, ordinary prose is not."""
    def report(text, prose=None, images=()):
        return {"allText": text, "proseText": text if prose is None else prose, "images": list(images)}

    for bad in ("see issue 12", "Issue #7", "this machine has no Docker engine", "these machines' disk",
                "chmod o+rx /root", "the FLOPs (eq-lstm-flops)", "# NBVAL_CHECK_OUTPUT", "import lstm  # noqa: F401",
                "x = f()  # type: ignore", "# pragma: no cover"):
        assert check_text(report(bad), "p"), f"not caught: {bad!r}"
    assert check_text(report("", prose="fixed in #12."), "p")
    for fine in ("the issue is the gradient", "frequency-domain", "a pragmatic choice", "colour #56B4E9 and #009E73",
                 "equation (15) holds", "sequence-to-sequence"):
        assert not check_text(report(fine, prose=fine if "#" not in fine else ""), "p"), f"flagged: {fine!r}"
    images = [{"src": "a.png", "alt": None}, {"src": "b.png", "alt": ""}, {"src": "../_images/c.png",
              "alt": "../_images/c.png"}, {"src": "d.png", "alt": "figure"}]
    assert len(check_images(report("", images=images), "p")) == 4
    assert not check_images(report("", images=[{"src": "e.png", "alt": "Gradient norm against distance"}]), "p")
    numbered = {"exerciseLinks": ["2.12. Exercise: the LSTM cell, forward", "Exercise set 1: the LSTM cell"]}
    found = [problem.detail for problem in check_numbering(numbered, "p")]
    assert found == ["sidebar entry '2.12. Exercise: the LSTM cell, forward'"]


def test_screenshot_folder_is_ignored_by_git():
    ignored = (REPO / ".gitignore").read_text(encoding="utf8").split()
    assert any(Path(SCREENSHOTS.relative_to(REPO)).as_posix().startswith(line.strip("/")) for line in ignored)
