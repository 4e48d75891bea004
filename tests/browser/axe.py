"""axe-core in the browser tests: the vendored ``vendor/axe.min.js`` (see vendor/BUILD.md) is
injected into the page under test and run there; nothing is fetched from the network."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Page

AXE_SCRIPT = Path(__file__).with_name("vendor") / "axe.min.js"
# The impacts a page may not have: axe's "minor" and "moderate" findings are reported by axe as
# best practice and left to judgement.
BLOCKING_IMPACTS = frozenset({"serious", "critical"})


def blocking_violations(page: Page) -> list[str]:
    """The page's serious and critical axe violations, one line each: rule, impact, the first
    few elements and axe's summary of what fails."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_SCRIPT))
    results: dict[str, Any] = page.evaluate(
        "() => axe.run(document, {resultTypes: ['violations']})")
    lines = []
    for violation in results["violations"]:
        if violation["impact"] not in BLOCKING_IMPACTS:
            continue
        nodes = violation["nodes"]
        where = "; ".join(" ".join(node["target"]) for node in nodes[:3])
        summary = nodes[0]["failureSummary"].replace("\n", " ") if nodes else ""
        lines.append(f"{violation['id']} ({violation['impact']}, {len(nodes)}x) at {where}: "
                     f"{summary}")
    return lines
