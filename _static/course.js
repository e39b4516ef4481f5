// Accessible names for what the theme leaves unnamed (checked by axe-core in tests/test_site_browser.py).
document.addEventListener("DOMContentLoaded", () => {
  // The sidebar's fold-out arrows are <summary> elements with only an icon inside: name them after their chapter.
  for (const summary of document.querySelectorAll(".bd-sidenav details > summary")) {
    if (!summary.textContent.trim() && !summary.hasAttribute("aria-label")) {
      const link = summary.parentElement.parentElement.querySelector(":scope > a");
      const chapter = link ? link.textContent.trim() : "this chapter";
      summary.setAttribute("aria-label", `Sections of ${chapter}`);
    }
  }
  // The bibliography is a list of entries; mark each entry as a list item so the list role is complete.
  for (const entry of document.querySelectorAll('.citation-list[role="list"] > [role="doc-biblioentry"]')) {
    entry.setAttribute("role", "listitem");
  }
});
