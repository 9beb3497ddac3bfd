"""Open dashboards in headless Chromium through Playwright, wait for every chart, and report what they show.

Runs inside Superset's environment (``.venv-superset``, where Playwright is locked), started by
tests/superset/test_dashboards.py, which makes the assertions:

    python render_dashboards.py --base-url http://127.0.0.1:PORT --username U --password P \
        --out-dir DIR --slug chi-so-766 --slug ...   > report.json

For each dashboard it writes ``DIR/<slug>.png`` (the whole page) and reports, per chart on the page: its
title, whether it settled, the error or "no results" it shows, its text, the cells of its tables, and the
chart data responses the browser received (by chart id): what the reader sees, and what it was drawn from.
Chromium is the system one (``--executable-path``); Playwright never downloads a browser.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, Response, sync_playwright

# No internet on the test machines: nothing for Chromium to reach but the Superset under test.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
VIEWPORT = {"width": 1600, "height": 1000}

# One chart holder's state, read in the page: settled once no loading indicator is left and it shows a
# chart (canvas, table, big number), an error or an empty result.
CHART_STATES = """
() => Array.from(document.querySelectorAll('.dashboard-component-chart-holder')).map((holder) => {
  const title = holder.querySelector('.header-title, [data-test="editable-title"]');
  const loading = holder.querySelector('[data-test="loading-indicator"], .loading');
  const text = holder.innerText || '';
  const empty = /No results were returned for this query|No data/.test(text);
  const alert = holder.querySelector('[role="alert"], .ant-alert-error, [data-test="error-tooltip"]');
  const errorText = /Unexpected error|Error:|error occurred/i.test(text) ? text : '';
  const error = alert ? (alert.innerText || 'error') : errorText;
  const drawn = holder.querySelector('canvas, table, .header-line, .superset-legacy-chart-big-number');
  const idClass = Array.from(holder.classList).find((c) => c.startsWith('dashboard-chart-id-'));
  const bigNumber = holder.querySelector('.header-line');
  const tables = Array.from(holder.querySelectorAll('table')).map((table) =>
    Array.from(table.querySelectorAll('tr')).map((tr) =>
      Array.from(tr.querySelectorAll('th, td')).map((cell) => (cell.innerText || '').trim())));
  return {
    chart_id: idClass ? Number(idClass.replace('dashboard-chart-id-', '')) : null,
    title: title ? title.innerText.trim() : '',
    settled: !loading && Boolean(drawn || empty || error),
    empty,
    error,
    text,
    big_number: bigNumber ? bigNumber.innerText.trim() : null,
    tables,
  };
})
"""


def _login(page: Page, base_url: str, username: str, password: str, timeout_ms: int) -> None:
    page.goto(f"{base_url}/login/", timeout=timeout_ms)
    page.fill("#username", username)
    page.fill("#password", password)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/login" not in url, timeout=timeout_ms)


def _render(page: Page, base_url: str, slug: str, out_dir: Path, timeout_s: float) -> dict[str, Any]:
    data: dict[str, Any] = {}

    def keep_chart_data(response: Response) -> None:
        if "/api/v1/chart/data" not in response.url or response.request.method != "POST":
            return
        try:
            body = json.loads(response.request.post_data or "{}")
            chart_id = body.get("form_data", {}).get("slice_id")
            payload = response.json()
        except (ValueError, json.JSONDecodeError):
            payload, chart_id = {"unreadable": response.status}, None
        data.setdefault(str(chart_id), []).append({"status": response.status, "payload": payload})

    page.on("response", keep_chart_data)
    started = time.monotonic()
    page.goto(f"{base_url}/superset/dashboard/{slug}/?standalone=1", timeout=int(timeout_s * 1000))
    page.wait_for_selector(".dashboard-component-chart-holder", timeout=int(timeout_s * 1000))
    charts: list[dict[str, Any]] = []
    settled_since = None
    # Superset renders asynchronously (filters first, then each chart's query): wait until every chart has
    # settled and stayed so for a few seconds (a native filter's default re-queries the charts it scopes).
    while time.monotonic() - started < timeout_s:
        charts = page.evaluate(CHART_STATES)
        if charts and all(chart["settled"] for chart in charts):
            settled_since = settled_since or time.monotonic()
            if time.monotonic() - settled_since >= 4:
                break
        else:
            settled_since = None
        time.sleep(1)
    page.remove_listener("response", keep_chart_data)
    screenshot = out_dir / f"{slug}.png"
    page.screenshot(path=str(screenshot), full_page=True)
    return {
        "slug": slug,
        "seconds": round(time.monotonic() - started, 1),
        "screenshot": str(screenshot),
        "charts": charts,
        "chart_data": data,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--username", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--out-dir", type=Path, required=True)
    parser.add_argument("--slug", action="append", required=True)
    parser.add_argument("--executable-path", default="/usr/bin/chromium")
    parser.add_argument("--timeout", type=float, default=300, help="seconds per dashboard")
    args = parser.parse_args(argv)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {"dashboards": [], "console_errors": []}
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile, sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=args.executable_path,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport=VIEWPORT,
        )
        try:
            page = context.new_page()
            page.on(
                "console",
                lambda message: report["console_errors"].append(message.text) if message.type == "error" else None,
            )
            _login(page, args.base_url, args.username, args.password, int(args.timeout * 1000))
            for slug in args.slug:
                report["dashboards"].append(_render(page, args.base_url, slug, args.out_dir, args.timeout))
        finally:
            context.close()
    json.dump(report, sys.stdout, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
