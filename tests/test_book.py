"""The website, as a reader gets it.

The book is built once per test session into a temporary folder (never into the repository's ``_build``), then:

- the build must be clean: no warning, no error, no broken cross-reference;
- equations (1)-(17) must carry their fixed numbers, and every ``{eq}`` reference to them must print the same number;
- no page may load a script, style sheet, font or image from another host: the site must work offline;
- in headless Chromium, every page must typeset its math, show its images, link only to pages that exist, and log no
  console error.

The browser is Debian's ``chromium`` driven by Playwright's Python package; no browser is ever downloaded. Without
Chromium the browser test is skipped with the reason, except under ``CI=true``, where it fails.
"""

import re
from urllib.parse import unquote, urlparse

import pytest

from tests.conftest import REPO, build_problems, chromium_or_skip, import_or_skip, install_hint, serve, site_pages

#: The fixed labels of equations (1)-(17), in number order (see the notation in intro.md and lstm/cell.py).
EQUATION_LABELS = (
    "eq-forget-gate", "eq-update-gate", "eq-candidate", "eq-cell-state", "eq-output-gate", "eq-hidden-state",
    "eq-dzo", "eq-dzc", "eq-dzi", "eq-dzf", "eq-dWf", "eq-dWi", "eq-dWc", "eq-dWo", "eq-da-prev", "eq-dc-prev",
    "eq-dxt",
)

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

# --- the build (built once per session by the `book_build` and `site` fixtures in conftest.py) -------------------


def _pages(html):
    return site_pages(html)


def test_build_is_clean(book_build):
    html, log, returncode = book_build
    problems = build_problems(log)
    assert returncode == 0 and not problems, (
        f"`jupyter-book build . --warningiserror --keep-going` exited with {returncode} and "
        f"{len(problems)} warning or error line(s):\n" + "\n".join(problems) + "\n\n--- full build log ---\n" + log)
    assert (html / "index.html").exists() and (html / "intro.html").exists(), "the build wrote no landing page"


# --- equation numbers ----------------------------------------------------------------------------------------


def test_equations_1_to_17_carry_their_numbers(site):
    """Each label renders once, as `<... id="equation-LABEL"><span class="eqno">(N)`, with N its fixed number.

    Sphinx lower-cases the label in the HTML id (``eq-dWf`` becomes ``equation-eq-dwf``).
    """
    numbered = re.compile(r'id="equation-([^"]+)"[^>]*>\s*<span class="eqno">\((\d+)\)')
    found = {}
    for page in _pages(site):
        for label, number in numbered.findall(page.read_text(encoding="utf8")):
            found.setdefault(label, []).append((page.relative_to(site).as_posix(), int(number)))
    problems = []
    for number, label in enumerate(EQUATION_LABELS, start=1):
        places = found.get(label.lower(), [])
        if not places:
            problems.append(f"({number}) {label}: no page has a numbered equation with this label")
        elif len(places) > 1:
            problems.append(f"({number}) {label}: labelled on more than one page: {places}")
        elif places[0][1] != number:
            problems.append(f"({number}) {label}: renders as ({places[0][1]}) on {places[0][0]} "
                            f"(an earlier page has an extra numbered equation, or the order is wrong)")
    assert not problems, "equation numbering is off:\n" + "\n".join(problems)


def test_equation_references_print_the_right_number(site):
    """Every `{eq}` link to one of the 17 labels, on any page, shows that equation's number."""
    link = re.compile(r'<a class="reference internal" href="[^"]*#equation-([^"]+)">\((\d+)\)</a>')
    expected = {label.lower(): number for number, label in enumerate(EQUATION_LABELS, start=1)}
    wrong, count = [], 0
    for page in _pages(site):
        for label, number in link.findall(page.read_text(encoding="utf8")):
            if label in expected:
                count += 1
                if int(number) != expected[label]:
                    wrong.append(f"{page.relative_to(site)}: reference to {label} prints ({number}), "
                                 f"not ({expected[label]})")
    assert count > 0, "no page refers to any of equations (1)-(17) with {eq}"
    assert not wrong, "\n".join(wrong)


# --- what readers of such books expect ---------------------------------------------------------------------


def test_notebook_pages_have_download_launch_and_navigation_buttons(site):
    """Each chapter page offers its notebook for download, launches on Binder and Colab from the repository named in
    _config.yml, links to that repository, and has previous/next links; the search page exists."""
    yaml = import_or_skip("yaml", install_hint("test"))
    config = yaml.safe_load((REPO / "_config.yml").read_text(encoding="utf8"))
    repository = config["repository"]["url"].rstrip("/")
    owner_and_name = repository.removeprefix("https://github.com/")
    problems = []
    notebooks = sorted((REPO / "chapters").glob("*.ipynb"))
    assert notebooks, "no chapter notebooks found"
    for notebook in notebooks:
        name = f"chapters/{notebook.stem}"
        page = site / f"{name}.html"
        if not page.exists():
            problems.append(f"{name}.html was not built")
            continue
        text = page.read_text(encoding="utf8")
        expected = {
            "download button": f'href="../_sources/{name}.ipynb"',
            "Binder button": f"https://mybinder.org/v2/gh/{owner_and_name}/",
            "Colab button": f"https://colab.research.google.com/github/{owner_and_name}/blob/",
            "repository button": f'href="{repository}"',
            "previous/next links": 'class="prev-next-area"',
        }
        problems += [f"{name}.html: no {what} ({needle})" for what, needle in expected.items() if needle not in text]
        if not (site / "_sources" / f"{name}.ipynb").is_file():
            problems.append(f"{name}.html: the downloadable notebook _sources/{name}.ipynb is missing")
    if not (site / "search.html").is_file() or not (site / "searchindex.js").is_file():
        problems.append("the search page or its index is missing")
    assert not problems, "\n".join(problems)


# --- offline ------------------------------------------------------------------------------------------------

REMOTE = re.compile(r"^(https?:)?//", re.IGNORECASE)
ASSET_TAG = re.compile(r"<(script|link|img|iframe|source|audio|video|embed)\b[^>]*?\b(?:src|href)=\"([^\"]+)\"",
                       re.IGNORECASE)
#: Hosts that serve scripts, styles and fonts to web pages; no built page may name one, even inside an inline script
#: (sphinx-thebe, for example, writes ``const THEBE_JS_URL = "https://unpkg.com/..."`` into every page).
CDN_HOSTS = ("cdn.jsdelivr.net", "unpkg.com", "cdnjs.cloudflare.com", "googleapis.com", "gstatic.com",
             "code.jquery.com", "cdn.plot.ly", "cdn.bokeh.org", "requirejs.org", "polyfill.io", "mathjax.org",
             "plausible.io", "googletagmanager.com", "google-analytics.com")
CSS_REMOTE = re.compile(r"(@import\s+(url\()?\s*['\"]?|url\(\s*['\"]?)(https?:)?//", re.IGNORECASE)


def test_pages_load_nothing_from_the_network(site):
    """No page pulls a script, style sheet, font or image from another host; math comes from _static/mathjax."""
    problems = []
    for page in _pages(site):
        text = page.read_text(encoding="utf8")
        name = page.relative_to(site).as_posix()
        for tag, url in ASSET_TAG.findall(text):
            if REMOTE.match(url):
                problems.append(f"{name}: <{tag}> loads {url}")
        if CSS_REMOTE.search(text):
            problems.append(f"{name}: an inline style imports from another host")
        problems += [f"{name}: names the CDN host {host}" for host in CDN_HOSTS if host in text]
        if 'class="math' in text and "_static/mathjax/" not in text:
            problems.append(f"{name}: has math but does not load MathJax from _static/mathjax/")
    for sheet in (site / "_static").rglob("*.css"):
        if CSS_REMOTE.search(sheet.read_text(encoding="utf8", errors="replace")):
            problems.append(f"{sheet.relative_to(site)}: imports a style sheet or font from another host")
    assert not problems, "the site would not work offline:\n" + "\n".join(problems)


# --- the browser ----------------------------------------------------------------------------------------------

PAGE_REPORT = """async () => {
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
        await MathJax.startup.promise;
    }
    const maths = Array.from(document.querySelectorAll('.math'));
    const visible = document.body.cloneNode(true);
    visible.querySelectorAll('pre, code, script, style, mjx-container, .highlight').forEach(e => e.remove());
    return {
        mathjax: Boolean(window.MathJax && window.MathJax.startup),
        maths: maths.length,
        untypeset: maths.filter(e => !e.querySelector('mjx-container')).map(e => e.textContent.slice(0, 60)),
        text: visible.textContent,
        brokenImages: Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0)
                           .map(i => i.getAttribute('src')),
        links: Array.from(document.querySelectorAll('a[href]')).map(a => a.href),
        ids: Array.from(document.querySelectorAll('[id]')).map(e => e.id),
    };
}"""

REDIRECT = re.compile(r'^<meta http-equiv="Refresh" content="0; url=([^"]+)" />', re.IGNORECASE)
RAW_TEX = re.compile(r"\$\$|\\\(|\\\)|\\\[|\\\]|\\begin\{|\\end\{|\$\\[a-zA-Z]")


@pytest.fixture(scope="module")
def served_site(site):
    """The built site over HTTP on 127.0.0.1, on a free port, in a background thread."""
    with serve(site) as base:
        yield base, site


def _local_file(url, base, html):
    """The file a same-site URL points at, or None when the URL leaves the site."""
    if not url.startswith(base):
        return None
    path = unquote(urlparse(url).path).lstrip("/")
    target = html / path
    return target / "index.html" if url.split("#")[0].endswith("/") or target.is_dir() else target


def test_every_page_renders_in_a_browser(served_site):
    base, html = served_site
    chromium = chromium_or_skip()
    sync_api = import_or_skip("playwright.sync_api", install_hint("test"))

    problems, ids_by_file, fragments_wanted = [], {}, []
    pages = _pages(html)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context()
        current = {"name": ""}

        def keep_local(route):
            # Anything that is not the local server (or inline data) is a network access: refuse and report it.
            url = route.request.url
            if url.startswith(base) or url.startswith(("data:", "blob:", "about:")):
                route.continue_()
            else:
                problems.append(f"{current['name']}: requested {url} from the network")
                route.abort()

        context.route("**/*", keep_local)
        page = context.new_page()
        page.on("console", lambda message: message.type == "error" and problems.append(
            f"{current['name']}: console error: {message.text}"))
        page.on("pageerror", lambda error: problems.append(f"{current['name']}: page error: {error}"))
        page.on("response", lambda response: response.status >= 400 and problems.append(
            f"{current['name']}: {response.status} for {response.url}"))

        for path in pages:
            name = path.relative_to(html).as_posix()
            current["name"] = name
            redirect = REDIRECT.search(path.read_text(encoding="utf8"))
            if redirect:  # a bare redirect (index.html -> intro.html): its target must exist, the rest is the target's
                if not (path.parent / redirect.group(1)).is_file():
                    problems.append(f"{name}: redirects to a missing page {redirect.group(1)}")
                continue
            page.goto(base + name, wait_until="networkidle")  # so late requests are charged to this page
            report = page.evaluate(PAGE_REPORT)
            if report["maths"] and not report["mathjax"]:
                problems.append(f"{name}: has {report['maths']} math elements but MathJax did not load")
            for snippet in report["untypeset"][:5]:
                problems.append(f"{name}: math not typeset: {snippet!r}")
            if len(report["untypeset"]) > 5:
                problems.append(f"{name}: ... and {len(report['untypeset']) - 5} more untypeset math elements")
            raw = RAW_TEX.search(report["text"])
            if raw:
                start = max(raw.start() - 40, 0)
                problems.append(f"{name}: raw TeX in the text: {report['text'][start:raw.end() + 40]!r}")
            for source in report["brokenImages"]:
                problems.append(f"{name}: broken image {source}")
            ids_by_file[path] = set(report["ids"])
            for url in report["links"]:
                target = _local_file(url, base, html)
                if target is None:
                    continue
                if not target.is_file():
                    problems.append(f"{name}: link to a missing page {url}")
                elif "#" in url and target.suffix == ".html" and url.split("#", 1)[1]:
                    fragments_wanted.append((name, url, target, unquote(url.split("#", 1)[1])))
        # Search works offline: the search page finds the forget gate.
        current["name"] = "search.html?q=forget"
        page.goto(base + "search.html?q=forget", wait_until="networkidle")
        try:
            page.wait_for_selector("#search-results ul.search li", timeout=15_000)
        except sync_api.TimeoutError:
            problems.append("search.html: searching for 'forget' found nothing")
        context.close()
        browser.close()

    for name, url, target, fragment in fragments_wanted:
        if target in ids_by_file and fragment not in ids_by_file[target]:
            problems.append(f"{name}: link to a missing anchor {url}")
    assert len(pages) > 1, f"only {len(pages)} page(s) were built"
    assert not problems, f"{len(problems)} problem(s) in {len(pages)} pages:\n" + "\n".join(sorted(set(problems)))
