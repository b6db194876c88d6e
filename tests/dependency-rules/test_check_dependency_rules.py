#!/usr/bin/env python3
"""Proves that check_dependency_rules.py catches what it promises: on a copy of the repository's
scanner/, probes/ and reports/ it first passes, then each case injects one bad #include and the
check must exit 1 naming the injected file:line and rule.

Usage: test_check_dependency_rules.py ROOT   (ROOT: the repository)
"""

import os
import shutil
import subprocess
import sys
import tempfile

CHECKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "check_dependency_rules.py")

# (file to change, #include line to append, the rule the check must report at that line). A cycle is
# reported once, at one of its edges, with every edge's file:line: the injected one must be among them.
INJECTIONS = [
    ("reports/sinks/json_report.cpp", '#include "probes/tls_probe.hpp"', "reports/ never includes probes/"),
    ("reports/encoding/text_safety.cpp", "#include <asio.hpp>", "reports/ never includes Asio"),
    ("reports/workflows/report_diff.cpp", '#include "scanner/engine/engine.hpp"',
     "reports/ includes nothing from scanner/engine/ or scanner/app/"),
    ("scanner/assessment/audit.cpp", "#include <asio/ip/tcp.hpp>",
     "scanner/ outside engine/ and app/ includes no Asio"),
    ("scanner/readiness/readiness.cpp", '#include "probes/rate_limiter.hpp"',
     "scanner/ outside engine/ and app/ includes nothing from probes/"),
    ("scanner/certificate/certificate.cpp", '#include "reports/encoding/text_safety.hpp"',
     "scanner/ outside engine/ and app/ (fleetcert_core) includes nothing from reports/"),
    ("scanner/engine/engine.cpp", '#include "reports/sinks/sink.hpp"',
     "scanner/engine/ includes nothing from reports/ or scanner/app/"),
    ("scanner/inputs/inventory.cpp", '#include "scanner/assessment/findings.hpp"',
     "scanner/inputs/ includes nothing from scanner/assessment/ or scanner/readiness/"),
    ("scanner/util/time.cpp", '#include "scanner/model/result.hpp"',
     "scanner/util/ includes nothing else of fleetcert"),
    ("probes/tls_probe.cpp", '#include "scanner/assessment/audit.hpp"',
     "probes/ includes nothing from reports/, scanner/assessment/, scanner/engine/ or scanner/app/"),
    ("scanner/model/observation.cpp", '#include "scanner/engine/engine.hpp"',
     "fleetcert_core (model/) does not link fleetcert_engine"),
    # observation.hpp <- certificate.hpp: a cycle of two headers (and of their stages).
    ("scanner/model/observation.hpp", '#include "scanner/certificate/certificate.hpp"',
     "no include cycle between files"),
    # A .cpp is included by no file: targets -> readiness -> assessment -> targets is a cycle of stages only.
    ("scanner/targets/targets.cpp", '#include "scanner/readiness/readiness.hpp"',
     "no include cycle between stages"),
]


def run_check(root):
    result = subprocess.run([sys.executable, CHECKER, root], capture_output=True, text=True, timeout=60)
    return result.returncode, result.stdout + result.stderr


def main(arguments):
    if len(arguments) != 1:
        print("usage: test_check_dependency_rules.py ROOT", file=sys.stderr)
        return 2
    source_root = os.path.abspath(arguments[0])
    failures = []
    with tempfile.TemporaryDirectory(prefix="fleetcert-dependency-rules-") as copy:
        for folder in ("scanner", "probes", "reports"):
            shutil.copytree(os.path.join(source_root, folder), os.path.join(copy, folder))

        status, output = run_check(copy)
        if status != 0:
            print(f"FAIL: the unchanged copy must pass the check (exit {status}):\n{output}")
            return 1

        cases = list(INJECTIONS)
        for relative, include, rule in cases:
            path = os.path.join(copy, relative)
            if not os.path.isfile(path):
                failures.append(f"{relative}: missing from the tree: update INJECTIONS in {__file__}")
                continue
            with open(path, encoding="utf-8") as stream:
                original = stream.read()
            changed = original + ("" if original.endswith("\n") else "\n") + include + "\n"
            where = f"{relative}:{changed.count(chr(10))}"
            if changed == original:
                failures.append(f"{relative}: nothing to remove for '{rule}': update {__file__}")
                continue
            with open(path, "w", encoding="utf-8") as stream:
                stream.write(changed)
            try:
                status, output = run_check(copy)
            finally:
                with open(path, "w", encoding="utf-8") as stream:
                    stream.write(original)
            if "cycle" in rule:
                expected = f"{rule}: ... ({where})"
                caught = any(f": {rule}: " in line and f"({where})" in line for line in output.splitlines())
            else:
                expected = f"{where}: {rule}"
                caught = any(line.startswith(expected) for line in output.splitlines())
            if status != 1 or not caught:
                failures.append(f"{relative} with {include}: expected exit 1 and "
                                f"'{expected}', got exit {status}:\n{output}")
            else:
                print(f"ok: {expected}")

    for failure in failures:
        print(f"FAIL: {failure}")
    if failures:
        return 1
    print(f"test_check_dependency_rules: the check caught all {len(cases)} injected violations")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
