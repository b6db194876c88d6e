#!/usr/bin/env python3
"""The deployment examples of sample-inventories/deploy/ parse and name only flags that exist.

  check_deploy_examples.py FLEETCERT DEPLOY_DIR

Kubernetes manifests (kubernetes/*.yaml) are read with python3-yaml; every container that runs
fleetcert has its subcommand and --flags checked against `fleetcert <sub> --help`; the scan Job is
an Indexed Job whose completions and parallelism equal the N of --shard auto/N; the TOML config in
the ConfigMap names only scan options. systemd units (systemd/*) are read as INI-like files; every
ExecStart that runs fleetcert is checked the same way, and the per-site template passes --site %i.
Before all that, the checker proves on made-up input that it does catch an unknown flag.
"""

import glob
import os
import re
import shlex
import subprocess
import sys
import tomllib

import yaml

errors = []


def fail(where, message):
    errors.append(f"{where}: {message}")


_help_cache = {}
_subcommands = []


def subcommands(fleetcert):
    """The subcommands `fleetcert --help` lists (under "Subcommands:")."""
    if not _subcommands:
        run = subprocess.run([fleetcert, "--help"], capture_output=True, text=True, timeout=30, check=True)
        listing = run.stdout.split("Subcommands:", 1)[-1]
        _subcommands.extend(re.findall(r"^  ([a-z][a-z-]*)\s", listing, re.MULTILINE))
        if "scan" not in _subcommands:
            sys.exit(f"{fleetcert} --help lists no subcommand scan: {run.stdout!r}")
    return _subcommands


def flags_of(fleetcert, sub):
    """The long options `fleetcert <sub> --help` lists."""
    if sub not in _help_cache:
        run = subprocess.run([fleetcert, sub, "--help"], capture_output=True, text=True, timeout=30)
        if run.returncode != 0 or sub not in subcommands(fleetcert):
            _help_cache[sub] = None
        else:
            _help_cache[sub] = set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", run.stdout))
    return _help_cache[sub]


def check_command(fleetcert, where, words):
    """words: the command line after the fleetcert executable."""
    if not words:
        fail(where, "fleetcert without a subcommand")
        return None
    sub = words[0]
    known = flags_of(fleetcert, sub)
    if known is None:
        fail(where, f"'fleetcert {sub}' is not a subcommand (its --help fails)")
        return sub
    for word in words[1:]:
        if word.startswith("--"):
            flag = word.split("=", 1)[0]
            if flag not in known:
                fail(where, f"fleetcert {sub} has no option {flag}")
    return sub


def self_test(fleetcert):
    before = len(errors)
    check_command(fleetcert, "self-test", ["scan", "--no-such-flag", "--json", "x"])
    check_command(fleetcert, "self-test", ["merge", "--shard", "0/4"])
    check_command(fleetcert, "self-test", ["no-such-subcommand"])
    caught = errors[before:]
    del errors[before:]
    if len(caught) != 3 or "--no-such-flag" not in caught[0] or "--shard" not in caught[1]:
        sys.exit(f"self-test: the checker did not catch the made-up flags: {caught}")


def check_kubernetes(fleetcert, folder):
    files = sorted(glob.glob(os.path.join(folder, "*.yaml")))
    if not files:
        fail(folder, "no manifest")
    seen_indexed = seen_merge = seen_config = False
    for path in files:
        with open(path, encoding="utf-8") as stream:
            documents = [d for d in yaml.safe_load_all(stream) if d is not None]
        for document in documents:
            kind = document.get("kind")
            name = document.get("metadata", {}).get("name", "?")
            where = f"{os.path.basename(path)}: {kind} {name}"
            if kind == "ConfigMap":
                for key, text in document.get("data", {}).items():
                    if key.endswith(".toml"):
                        seen_config = True
                        config = tomllib.loads(text)
                        for section, settings in config.items():
                            if not isinstance(settings, dict):
                                fail(where, f"top-level key {section}: expected a [scan] section")
                                continue
                            known = flags_of(fleetcert, section)
                            if known is None:
                                fail(where, f"[{section}] is not a subcommand")
                                continue
                            for option in settings:
                                if option != "targets" and f"--{option}" not in known:
                                    fail(where, f"[{section}] {option}: fleetcert {section} has no option --{option}")
            if kind != "Job":
                continue
            spec = document["spec"]
            for container in spec["template"]["spec"]["containers"]:
                line = list(container.get("command", [])) + list(container.get("args", []))
                if not line or os.path.basename(line[0]) != "fleetcert":
                    continue
                sub = check_command(fleetcert, where, line[1:])
                if sub == "scan":
                    shard = [line[i + 1] for i, w in enumerate(line[:-1]) if w == "--shard"]
                    if spec.get("completionMode") != "Indexed":
                        fail(where, "the scan Job is not completionMode: Indexed")
                    if len(shard) != 1 or not re.fullmatch(r"auto/\d+", shard[0]):
                        fail(where, "the scan Job does not pass --shard auto/N")
                    else:
                        n = int(shard[0].split("/")[1])
                        seen_indexed = True
                        if spec.get("completions") != n or spec.get("parallelism") != n:
                            fail(where, f"completions and parallelism must both be {n} (--shard auto/{n})")
                if sub == "merge":
                    seen_merge = True
    if not seen_indexed:
        fail(folder, "no Indexed Job running fleetcert scan --shard auto/N")
    if not seen_merge:
        fail(folder, "no Job running fleetcert merge")
    if not seen_config:
        fail(folder, "no ConfigMap with a TOML config")


def unit_lines(path):
    """(section, key, value) of a systemd unit, continuation lines joined."""
    section = None
    pending = ""
    with open(path, encoding="utf-8") as stream:
        for raw in stream:
            line = raw.rstrip("\n")
            if pending:
                line = pending + " " + line.strip()
                pending = ""
            if line.endswith("\\"):
                pending = line[:-1].rstrip()
                continue
            stripped = line.strip()
            if not stripped or stripped.startswith(("#", ";")):
                continue
            if stripped.startswith("[") and stripped.endswith("]"):
                section = stripped[1:-1]
                continue
            if "=" not in stripped or section is None:
                fail(path, f"not a unit file line: {stripped!r}")
                continue
            key, value = stripped.split("=", 1)
            yield section, key.strip(), value.strip()


def check_systemd(fleetcert, folder):
    names = sorted(os.listdir(folder))
    for required in ("fleetcert-audit@.service", "fleetcert-audit@.timer", "fleetcert-merge.service",
                     "fleetcert-merge.timer"):
        if required not in names:
            fail(folder, f"{required} is missing")
    for name in names:
        path = os.path.join(folder, name)
        lines = list(unit_lines(path))
        sections = {section for section, _, _ in lines}
        if name.endswith(".timer") and ("Timer" not in sections or "Install" not in sections):
            fail(name, "a timer needs [Timer] and [Install]")
        if not name.endswith(".service"):
            continue
        if "Service" not in sections:
            fail(name, "no [Service] section")
        for section, key, value in lines:
            if key != "ExecStart":
                continue
            words = shlex.split(value)
            if words and words[0] == "/bin/sh" and "-c" in words:
                words = shlex.split(words[words.index("-c") + 1])
            if words and words[0] == "exec":
                words = words[1:]
            if not words or os.path.basename(words[0]) != "fleetcert":
                fail(name, f"ExecStart does not run fleetcert: {value}")
                continue
            sub = check_command(fleetcert, name, words[1:])
            if name == "fleetcert-audit@.service":
                if sub != "scan" or "--site" not in words or words[words.index("--site") + 1] != "%i":
                    fail(name, "the per-site template must run fleetcert scan --site %i")


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    fleetcert, deploy = sys.argv[1], sys.argv[2]
    self_test(fleetcert)
    check_kubernetes(fleetcert, os.path.join(deploy, "kubernetes"))
    check_systemd(fleetcert, os.path.join(deploy, "systemd"))
    if errors:
        print("\n".join(errors), file=sys.stderr)
        sys.exit(1)
    print("deployment examples: every manifest and unit parses and names existing options")


if __name__ == "__main__":
    main()
