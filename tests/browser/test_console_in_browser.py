"""The on-call console as an app (``make console``) in a real browser: nothing fetched from any host but
127.0.0.1, every link of the page answered, no code and no check output shown, the time control replaying the night
(each panel read back as of the chosen minute) and the kernel stopped once the tab is closed."""
from __future__ import annotations

import json
import re
import time
import urllib.parse
from pathlib import Path

CONSOLE = "/voila/render/console.ipynb"   # where `make console` serves the console
NOTEBOOKS = Path(__file__).resolve().parent.parent.parent / "notebooks"
RUN_TIMEOUT_MS = 300_000
MOVE_TIMEOUT_MS = 30_000
CULL_TIMEOUT_S = 90
CLOCK = "() => document.querySelector('.oncall-time .widget-readout').innerText.trim()"


def _status_clock(page) -> str:
    return re.match(r"\s*(\d\d:\d\d)", page.locator(".oncall-status").inner_text()).group(1)


def _wait_clock(page, clock: str) -> None:
    """Until the slider and the status line both show ``clock``."""
    page.wait_for_function(
        f"() => ({CLOCK})() === {json.dumps(clock)} && "
        f"document.querySelector('.oncall-status').innerText.trim().startsWith({json.dumps(clock)})",
        timeout=MOVE_TIMEOUT_MS)


def test_voila_console_offline_with_working_links_and_a_time_control(voila_server, page, screenshots):
    foreign, failed = [], []
    page.on("request", lambda r: urllib.parse.urlsplit(r.url).scheme in ("http", "https", "ws", "wss")
            and urllib.parse.urlsplit(r.url).hostname != "127.0.0.1" and foreign.append(r.url))
    page.on("response", lambda r: r.status in (403, 404) and failed.append(f"{r.status} {r.url}"))
    page.set_viewport_size({"width": 1400, "height": 2400})
    page.goto(voila_server.url(CONSOLE), wait_until="commit", timeout=RUN_TIMEOUT_MS)
    page.wait_for_selector("#rendered_cells", state="visible", timeout=RUN_TIMEOUT_MS)
    page.wait_for_selector(".oncall-burn img", timeout=RUN_TIMEOUT_MS)
    page.screenshot(path=screenshots / "console_app.png", full_page=True)

    # Offline: no request to any other host (the Font Awesome CDN of Voila's "lab" template is gone).
    assert not foreign, foreign
    assert not failed, failed
    # The app shows neither code nor the check section.
    body = page.locator("body").inner_text()
    assert "from oncall.course import" not in body and "def redraw" not in body
    assert "gate turns red" not in body and "Drive the console from Python" not in body, body[-800:]

    # Every link of the page answers (the notebook renders, the glossary is served); none 403 or 404.
    hrefs = page.eval_on_selector_all("#rendered_cells a[href]", "as => as.map(a => a.href)")
    own = sorted({h.split("#")[0] for h in hrefs if not h.split("#")[0] == page.url.split("#")[0]})
    assert any(h.endswith("00_tour.ipynb") for h in own) and any(h.endswith("glossary.md") for h in own), own
    for href in own:
        resp = page.request.get(href if "token=" in href else voila_server.url(urllib.parse.urlsplit(href).path),
                                timeout=RUN_TIMEOUT_MS)
        assert resp.status == 200, (href, resp.status)
    assert "# Glossary" in page.request.get(voila_server.url("/voila/files/glossary.md")).text()

    # The console opens at the end of the night, gate verdict included.
    end = page.evaluate(CLOCK)
    assert end == "08:00" and "end of shift" in page.locator(".oncall-status").inner_text()
    assert "promoted" in page.locator(".oncall-canary").inner_text()
    cursor_end = page.locator(".oncall-cursor").inner_html()

    # Home: 22:00, the shift's first minute: nothing has happened yet.
    handle = page.locator(".oncall-time .noUi-handle")
    handle.focus()
    page.keyboard.press("Home")
    _wait_clock(page, "22:00")
    status = page.locator(".oncall-status").inner_text()
    assert "no page yet" in status and "0.00 % of the 30-day error budget spent by the incident" in status, status
    assert "no incident open yet" in page.locator(".oncall-incidents").inner_text()
    assert "No canary yet" in page.locator(".oncall-canary").inner_text()
    assert page.locator(".oncall-cursor").inner_html() != cursor_end, "the burn chart's now line did not move"
    page.screenshot(path=screenshots / "console_at_2200.png", full_page=True)

    # A click about 37 % along the track: around 01:40, the page and the incident it joined.
    track = page.locator(".oncall-time .noUi-target").bounding_box()
    page.mouse.click(track["x"] + track["width"] * 221 / 600, track["y"] + track["height"] / 2)
    page.wait_for_function(f"() => ({CLOCK})() !== '22:00'", timeout=MOVE_TIMEOUT_MS)
    clock = page.evaluate(CLOCK)
    _wait_clock(page, clock)
    assert "01:35" <= clock <= "01:50", clock
    status = page.locator(".oncall-status").inner_text()
    assert "paged SEV-1 at 01:37" in status or clock < "01:37", status
    incidents = page.locator(".oncall-incidents").inner_text()
    paged = next(line for line in incidents.splitlines() if line.startswith("INC-0005"))
    assert "SEV-1" in paged and "\topen\t" in paged, paged   # the paged incident, still open
    assert "No canary yet" in page.locator(".oncall-canary").inner_text()
    page.screenshot(path=screenshots / "console_at_page.png", full_page=True)

    # Play replays the night forward from there.
    page.locator(".oncall-play button").first.click()
    page.wait_for_function(f"() => ({CLOCK})() > {json.dumps(clock)}", timeout=MOVE_TIMEOUT_MS)
    page.locator(".oncall-play button").first.click()   # pause
    assert _status_clock(page) >= clock

    # End: back to the end of the night.
    handle.focus()
    page.keyboard.press("End")
    _wait_clock(page, end)
    assert "GREEN" in page.locator(".oncall-status").inner_text()
    assert not foreign and not failed, (foreign, failed)

    # Closing the tab stops its kernel (culled once idle; the fixture shortens voila.json's minutes to seconds).
    log = voila_server.log
    started = re.findall(r"Kernel started: ([0-9a-f-]+)", log.read_text())
    assert started, log.read_text()[-2000:]
    page.close()
    deadline = time.monotonic() + CULL_TIMEOUT_S
    while time.monotonic() < deadline:
        text = log.read_text()
        if all(re.search(f"(Kernel shutdown|Culling .*){k}", text) for k in started):
            break
        time.sleep(1)
    else:
        raise AssertionError(f"kernels {started} still running {CULL_TIMEOUT_S} s after the tab closed:\n"
                             + log.read_text()[-2000:])


def test_voila_json_culls_idle_kernels_and_uses_the_offline_template():
    config = json.loads((NOTEBOOKS / "voila.json").read_text())
    cull = config["MappingKernelManager"]
    assert cull["cull_idle_timeout"] > 0 and cull["cull_interval"] > 0 and cull["cull_connected"] is False
    assert config["VoilaConfiguration"]["template"] == "oncall"
    template = (NOTEBOOKS.parent / "share/jupyter/voila/templates/oncall/index.html.j2").read_text()
    assert "cdn." not in template and "hide-in-app" in template
