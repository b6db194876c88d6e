#!/usr/bin/env python3
"""The scan's HTML page (`scan --html`, `report --html`) checked in a real browser: headless Chromium.

Plays two fleets with fleet-sim on loopback and scans each with --json and --html:
- the demo fleet (sample-inventories/demo-fleet.json with its inventory), moved to 127.147.0.0/24;
- the hostile fleet (tests/fleets/hostile.json), moved to 127.148.0.0/24, plus three devices whose
  CNs are markup that would run a script if the page ever treated them as HTML.
Then opens each page with `chromium --headless=new --dump-dom` (one launch per page view) and reads
the status the page's script writes into the DOM (#fleetcert-status) and the dumped DOM itself:
- no error (window errors, policy violations) and no console error in Chromium's log;
- every chart canvas drawn (the page checks its pixels);
- the device table's rows equal the JSON report's devices (a fragment search: the devices whose
  text the search matches, counted here from the JSON);
- the hostile CNs appear in the DOM as escaped text and no injected script ran; so do the identities
  two of them announce (scanned with --identify): each port's details show the identity's source,
  model, firmware and raw header, or its error, as text;
- `fleetcert report SCAN.json --html` writes the same page data as the scan (bar how it was made);
- `fleetcert readiness --report SCAN.json --html` (the demo's, trusting its Grandstream CAs after the
  swap): ready, no error, every chart drawn, one row per device of its JSON document;
- `fleetcert diff SCAN.json CHANGED.jsonl --html` (one device moved, one gone): the same, one row per
  change of its JSON document.

Usage: check_html_report.py --fleetcert BIN --fleet-sim BIN --source DIR --work DIR [--chromium BIN]
Only 127.0.0.0/8 is connected to. Processes started here are stopped by their PID.
"""

import argparse
import html
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

INJECTIONS = [
    ("127.148.0.90", "<script>window.__fleetcertInjected=1</script>"),
    ("127.148.0.91", "\"><img src=x onerror=window.__fleetcertInjected=2>"),
    ("127.148.0.92", "</script><script>window.__fleetcertInjected=3</script><!--"),
]
# What two of them answer to the identity request (GET / on their 443): markup again, in the Server
# header (a Grandstream pattern still matches: model and firmware read, the rest kept in raw) and in
# the page title (no pattern matches: the error and the raw title). The third answers nothing.
IDENTITIES = {
    "127.148.0.90": {"server": "Grandstream GXP2170 1.0.11.23 </script><img src=x onerror=window.__fleetcertInjected=4>"},
    "127.148.0.91": {"title": "<img src=x onerror=window.__fleetcertInjected=5>"},
}
PORT_MAP = ["--port-map", "443:36443", "--port-map", "5061:39061"]
NOW = "2026-11-20T12:00:00Z"
failures = []


def check(condition, message):
    print(("ok    " if condition else "FAIL  ") + message, flush=True)
    if not condition:
        failures.append(message)


def run(command, timeout):
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    if result.returncode not in (0, 1):  # 1: the scan has findings at --fail-on's level
        sys.exit(f"{command[0]} failed ({result.returncode}): {result.stderr[-2000:]}")
    return result


class Simulator:
    """fleet-sim on one description, stopped by its PID."""

    def __init__(self, binary, work, name, description):
        self.ready = os.path.join(work, name + ".ready")
        fleet = os.path.join(work, name + "-fleet.json")
        with open(fleet, "w") as f:
            json.dump(description, f)
        os.makedirs(os.path.join(work, name + "-cas"), exist_ok=True)
        self.log = open(os.path.join(work, name + "-sim.log"), "w")
        self.process = subprocess.Popen([binary, "--fleet", fleet, "--truth", os.path.join(work, name + "-truth.json"),
                                         "--ready-file", self.ready, "--duration", "300", "--threads", "1",
                                         "--cas-dir", os.path.join(work, name + "-cas")] + PORT_MAP,
                                        stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 120
        while not os.path.exists(self.ready):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                sys.exit(f"fleet-sim for {name} did not start; see {self.log.name}")
            time.sleep(0.1)

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def open_page(chromium, page, fragment, work):
    """The DOM of `page` after its scripts ran, and Chromium's console errors."""
    profile = os.path.join(work, "chromium-profile")
    url = "file://" + os.path.abspath(page) + ("#" + fragment if fragment else "")
    result = subprocess.run([chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                             "--user-data-dir=" + profile, "--enable-logging=stderr", "--v=0",
                             "--window-size=1280,2000", "--dump-dom", url],
                            capture_output=True, text=True, timeout=180)
    if result.returncode != 0 or "<html" not in result.stdout:
        sys.exit(f"chromium could not open {url} ({result.returncode}): {result.stderr[-2000:]}")
    console = [line for line in result.stderr.splitlines() if "CONSOLE" in line]
    return result.stdout, console


def status_of(dom):
    match = re.search(r'<div id="fleetcert-status"([^>]*)>', dom)
    if not match:
        sys.exit("the page has no #fleetcert-status element")
    return dict(re.findall(r'data-([a-z-]+)="([^"]*)"', match.group(1)))


def device_text(device):
    """What the page's search matches of a JSON report device, in the page's terms."""
    parts = [device.get("ip"), device.get("host"), device.get("mac"), (device.get("vendor") or {}).get("name")]
    inventory = device.get("inventory") or {}
    parts += [inventory.get("model"), inventory.get("site"), inventory.get("hostname")]
    parts += [(device.get("model") or {}).get("name"), (device.get("firmware") or {}).get("version")]
    for port in device.get("ports", []):
        parts += [str(port.get("port")), port.get("sha256"), port.get("signature_label"), port.get("provenance")]
    for finding in device.get("findings", []):
        parts += [finding.get("code"), finding.get("message")]
    return "\n".join(p for p in parts if p).lower()


def check_page(chromium, page, report, work, name, fragment=None, expect_rows=None):
    dom, console = open_page(chromium, page, fragment, work)
    status = status_of(dom)
    label = f"{name}{' #' + fragment if fragment else ''}"
    check(status.get("ready") == "yes", f"{label}: the page is ready ({status.get('error-text', '')})")
    check(status.get("errors") == "0", f"{label}: no script error ({html.unescape(status.get('error-text', ''))})")
    errors = [line for line in console if "ERROR" in line or "Uncaught" in line]
    check(not errors, f"{label}: no console error in Chromium's log {errors[:3]}")
    charts = status.get("charts", "").split()
    check(len(charts) >= 3 and all(c.endswith(":drawn") for c in charts), f"{label}: every chart canvas drawn ({charts})")
    check(status.get("devices") == str(len(report["devices"])),
          f"{label}: the page has the report's {len(report['devices'])} devices ({status.get('devices')})")
    rows = len(re.findall(r'<tr class="device[ "]', dom))
    expected = len(report["devices"]) if expect_rows is None else expect_rows
    check(rows == expected and status.get("rows") == str(rows), f"{label}: {expected} table rows ({rows})")
    check(status.get("injected") == "none", f"{label}: no injected script ran ({status.get('injected')})")
    return dom, status


def scan(fleetcert, targets, work, name, extra):
    json_path = os.path.join(work, name + ".json")
    html_path = os.path.join(work, name + ".html")
    run([fleetcert, "scan", *targets, "--ports", "36443,39061", "--now", NOW, "--json", json_path, "--html", html_path,
         "--no-progress", *extra], timeout=300)
    with open(json_path) as f:
        return json.load(f), json_path, html_path


def page_data(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    match = re.search(r'<script type="application/json" id="fleetcert-data">(.*?)</script>', text, re.S)
    return json.loads(match.group(1)), text


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--fleetcert", required=True)
    parser.add_argument("--fleet-sim", required=True)
    parser.add_argument("--source", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--chromium", default="chromium")
    args = parser.parse_args()
    chromium = shutil.which(args.chromium)
    if chromium is None:
        sys.exit(f"{args.chromium} not found: install Debian's chromium (./install-deps.sh installs it)")
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)
    samples = os.path.join(args.source, "sample-inventories")

    # The demo fleet with its inventory, on 127.147.0.0/24.
    with open(os.path.join(samples, "demo-fleet.json")) as f:
        demo = json.loads(f.read().replace("127.77.", "127.147."))
    inventory = os.path.join(args.work, "demo-inventory.csv")
    with open(os.path.join(samples, "demo-inventory.csv")) as f, open(inventory, "w") as out:
        out.write(f.read().replace("127.77.", "127.147."))
    simulator = Simulator(args.fleet_sim, args.work, "demo", demo)
    try:
        report, json_path, html_path = scan(args.fleetcert, ["127.147.0.0/24"], args.work, "demo",
                                            ["--inventory", inventory, "--timeout", "3"])
    finally:
        simulator.stop()
    data, text = page_data(html_path)
    check(len(text) < 2_000_000, f"demo: the page is {len(text)} bytes")
    check(re.search(r'<(script|link|img|iframe)[^>]+(src|href)=', text) is None, "demo: the page loads nothing from elsewhere")
    check_page(chromium, html_path, report, args.work, "demo")
    site = "HQ"
    expected = sum(1 for d in report["devices"] if (d.get("inventory") or {}).get("site") == site
                   and "grandstream" in device_text(d))
    check(expected > 0, f"demo: some Grandstream devices at {site}")
    check_page(chromium, html_path, report, args.work, "demo", f"search=grandstream&site={site}", expected)

    # The same page from the saved JSON report.
    rebuilt = os.path.join(args.work, "demo-rebuilt.html")
    run([args.fleetcert, "report", json_path, "--html", rebuilt, "--inventory", inventory], timeout=120)
    rebuilt_data, _ = page_data(rebuilt)
    check("rebuilt_from" in rebuilt_data["scan"], "report --html: the page says it was rebuilt")
    rebuilt_data["scan"].pop("rebuilt_from", None)
    check(rebuilt_data == data, "report --html: the same page data as the scan's")

    # The readiness page of the same scan.
    cas = os.path.join(args.work, "demo-cas")
    bundle = os.path.join(args.work, "trust-after.pem")
    with open(bundle, "w") as out:
        for name in ("grandstream-device-ca.pem", "grandstream-ecc-ca.pem"):
            with open(os.path.join(cas, name)) as f:
                out.write(f.read())
    readiness_json = os.path.join(args.work, "readiness.json")
    readiness_html = os.path.join(args.work, "readiness.html")
    run([args.fleetcert, "readiness", "--report", json_path, "--trust-after", bundle, "--at", "2027-01-01",
         "--json", readiness_json, "--html", readiness_html], timeout=120)
    with open(readiness_json) as f:
        readiness = json.load(f)
    check(readiness["summary"]["ready"] > 0 and readiness["summary"]["not_ready"] > 0,
          f"readiness: some devices ready, some not ({readiness['summary']})")
    dom, console = open_page(chromium, readiness_html, None, args.work)
    status = status_of(dom)
    check(status.get("ready") == "yes" and status.get("errors") == "0",
          f"readiness: the page is ready, no script error ({html.unescape(status.get('error-text', ''))})")
    check(not [line for line in console if "ERROR" in line or "Uncaught" in line], "readiness: no console error")
    charts = status.get("charts", "").split()
    check(len(charts) == 4 and all(c.endswith(":drawn") for c in charts), f"readiness: every chart drawn ({charts})")
    rows = len(re.findall(r'<tr class="device[ "]', dom))
    check(status.get("devices") == str(len(readiness["devices"])) and rows == len(readiness["devices"]),
          f"readiness: {len(readiness['devices'])} devices, one row each ({rows})")

    # The diff page: the demo scan against its records with one device moved and one gone.
    answered = sorted({r["target"]["ip"] for r in report["records"] if r["status"] == "ok"})
    moved, gone = answered[0], answered[1]
    changed = os.path.join(args.work, "changed.jsonl")
    with open(changed, "w") as out:
        for record in report["records"]:
            if record["target"]["ip"] == gone:
                continue
            if record["target"]["ip"] == moved:
                record["target"]["ip"] = "127.147.0.250"
            out.write(json.dumps(record) + "\n")
    diff_json = os.path.join(args.work, "diff.json")
    diff_html = os.path.join(args.work, "diff.html")
    run([args.fleetcert, "diff", json_path, changed, "--json", diff_json, "--html", diff_html, "-q"], timeout=120)
    with open(diff_json) as f:
        diff = json.load(f)
    kinds = sorted({c["kind"] for c in diff["changes"]})
    check("moved" in kinds and "vanished" in kinds, f"diff: a moved and a vanished device ({kinds})")
    dom, console = open_page(chromium, diff_html, None, args.work)
    status = status_of(dom)
    check(status.get("ready") == "yes" and status.get("errors") == "0",
          f"diff: the page is ready, no script error ({html.unescape(status.get('error-text', ''))})")
    check(not [line for line in console if "ERROR" in line or "Uncaught" in line], "diff: no console error")
    check(status.get("charts") == "kinds:drawn", f"diff: the chart drawn ({status.get('charts')})")
    rows = len(re.findall(r'<tr class="device[ "]', dom))
    check(status.get("devices") == str(len(diff["changes"])) and rows == len(diff["changes"]),
          f"diff: {len(diff['changes'])} changes, one row each ({rows})")
    check(f"{moved}" in dom and "127.147.0.250" in dom, "diff: the moved device's addresses are shown")

    # The hostile fleet, plus CNs that are markup.
    with open(os.path.join(args.source, "tests", "fleets", "hostile.json")) as f:
        hostile = json.loads(f.read().replace("127.97.", "127.148."))
    for ip, cn in INJECTIONS:
        port = {"subject": "/O=Hostile/CN=placeholder", "subject_raw_cn_hex": cn.encode().hex(), "key": "ec:P-256",
                "issuer": "self"}
        if ip in IDENTITIES:
            port["identity"] = IDENTITIES[ip]
        hostile["devices"].append({"ip": ip, "ports": {"443": port}})
    simulator = Simulator(args.fleet_sim, args.work, "hostile", hostile)
    try:
        report, json_path, html_path = scan(args.fleetcert, ["127.148.0.0/24"], args.work, "hostile",
                                            ["--timeout", "3", "--concurrency", "512", "--identify", "sip,http",
                                             "--sip-ports", "39061", "--http-ports", "36443"])
    finally:
        simulator.stop()
    data, text = page_data(html_path)
    for _, cn in INJECTIONS:
        check(cn not in text, f"hostile: {cn!r} is nowhere in the page file as markup")
    expected = sum(1 for d in report["devices"] if d.get("ip") in {ip for ip, _ in INJECTIONS})
    check(expected == len(INJECTIONS), f"hostile: the report has the {len(INJECTIONS)} injection devices")
    # The search matches the CNs (not a column of the JSON devices): the three injection devices.
    dom, status = check_page(chromium, html_path, report, args.work, "hostile", "search=__fleetcertInjected&open=shown",
                             expected)
    for _, cn in INJECTIONS:
        check(html.escape(cn, quote=False) in dom, f"hostile: {cn!r} shows as text")
    check("<img src=\"x\"" not in dom and "<img src=x" not in dom, "hostile: no <img> element from a CN")
    # The identities the injection devices announced, in their port's details.
    records = {r["target"]["ip"]: r for r in report["records"]
               if r["target"].get("ip") in IDENTITIES and r["target"]["port"] == 36443}
    announced = (records.get("127.148.0.90") or {}).get("identity") or {}
    check(announced.get("source") == "http-server" and announced.get("firmware") == "1.0.11.23",
          f"hostile: the Server header matched the Grandstream pattern ({announced})")
    unmatched = (records.get("127.148.0.91") or {}).get("identity") or {}
    check(unmatched.get("error", "").startswith("no pattern matched") and "source" not in unmatched,
          f"hostile: the markup title matched no pattern ({unmatched})")
    for identity in (announced, unmatched):
        raw = identity.get("raw", "")
        check("onerror" in raw and raw not in text, f"hostile: the raw identity {raw!r} is nowhere in the page file as markup")
        check(html.escape(raw, quote=False) in dom, f"hostile: the raw identity {raw!r} shows as text")
    for fact in ("<dt>identity from</dt><dd>http-server</dd>", "<dt>announced model</dt><dd>Grandstream GXP2170</dd>",
                 "<dt>announced firmware</dt><dd>1.0.11.23</dd>", "<dt>identity error</dt><dd>no pattern matched"):
        check(fact in dom, f"hostile: the port details show {fact!r}")
    check(dom.count('<code class="raw">') >= 2, "hostile: each raw identity in a <code> of its own")
    check_page(chromium, html_path, report, args.work, "hostile")

    if failures:
        print(f"{len(failures)} check(s) failed", file=sys.stderr)
        return 1
    print("every check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
