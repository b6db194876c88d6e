#!/usr/bin/env python3
"""Validates fleetcert's documents against the JSON Schemas of reports/schemas/ (draft 2020-12).

    validate_documents.py SCHEMA_DIR --self-test
    validate_documents.py SCHEMA_DIR [--mutate] KIND=FILE ...

KIND is scan (the --json document), jsonl (every line a record), diff, readiness, issuers or
profile-snippet. Every document must validate. With --mutate, each document is also mutated in the
ways listed in MUTATIONS (a wrong type, a missing required key, an unknown key where the structure
is closed, a bad date-time, a bad IP address, a word outside an enum), and every mutated copy must
FAIL, for the reason expected (the JSON Schema keyword that rejects it). A mutation that finds
nothing to mutate in the document is a failure too, so the test cannot pass on a document that
lacks what it claims to test.

--self-test checks the schemas themselves (each a valid 2020-12 schema) and proves that the format
checks are live: python-jsonschema silently skips a format whose checker is missing (date-time
needs a library), so a bad date-time and a bad IP address must be rejected here by "format".

Uses Debian's python3-jsonschema; date-time is checked by rfc3339-validator when installed, else by
Debian's python3-rfc3339 (pyrfc3339). Exit status 0: all passed; 1: a check failed; 2: bad usage or
a missing library.
"""

import copy
import json
import pathlib
import sys
import warnings

warnings.filterwarnings("ignore", category=DeprecationWarning)  # RefResolver, in python-jsonschema >= 4.18

try:
    import jsonschema
    from jsonschema import Draft202012Validator, FormatChecker, RefResolver
except ImportError as error:
    sys.exit(f"validate_documents: python3-jsonschema is missing ({error}): run ./install-deps.sh")

SCHEMA_FILES = {
    "scan": "scan.schema.json",
    "jsonl": "record.schema.json",
    "diff": "diff.schema.json",
    "readiness": "readiness.schema.json",
    "issuers": "issuers.schema.json",
    "profile-snippet": "profile-snippet.schema.json",
}

BAD_DATE_TIME = "2026-02-30T10:00:00Z"  # the shape of a timestamp (the pattern passes), but no such day
BAD_IP = "127.0.0.256"  # the shape of an address, but no such address

# Per kind: (what, operation, path, value, keyword that must reject it). A path is a list of keys
# and indexes; "*" stands for any element (the first where the rest of the path exists).
# Operations: set (replace an existing value), delete (an existing key), add (a key not there).
MUTATIONS = {
    "scan": [
        ("wrong type: scan.endpoints_done a string", "set", ["scan", "endpoints_done"], "3", "type"),
        ("wrong type: a record's tls.handshake_complete a string", "set",
         ["records", "*", "tls", "handshake_complete"], "false", "type"),
        ("missing required: summary.ok", "delete", ["summary", "ok"], None, "required"),
        ("missing required: a device's answered", "delete", ["devices", "*", "answered"], None, "required"),
        ("missing required: a record's chain", "delete", ["records", "*", "chain"], None, "required"),
        ("unknown key: scan.extra", "add", ["scan", "extra"], 1, "additionalProperties"),
        ("unknown key: at the top", "add", ["extra"], 1, "additionalProperties"),
        ("unknown key: in a bundle", "add", ["scan", "bundles", "*", "extra"], 1, "additionalProperties"),
        ("unknown key: in a record's leaf", "add", ["records", "*", "leaf", "extra"], 1, "additionalProperties"),
        ("unknown key: in the summary", "add", ["summary", "by_model"], {}, "additionalProperties"),
        ("bad date-time: scan.started_at", "set", ["scan", "started_at"], BAD_DATE_TIME, "format"),
        ("bad date-time: a leaf's not_after", "set", ["records", "*", "leaf", "not_after"], BAD_DATE_TIME, "format"),
        ("bad date-time: a device port's not_after", "set", ["devices", "*", "ports", "*", "not_after"],
         BAD_DATE_TIME, "format"),
        ("bad IP: a record's target.ip", "set", ["records", "*", "target", "ip"], BAD_IP, "format"),
        ("bad IP: a device's ip", "set", ["devices", "*", "ip"], "::1::2", "format"),
        ("enum: an unknown finding code", "set", ["records", "*", "assessment", "findings", "*", "code"],
         "no-such-finding", "enum"),
        ("enum: an unknown error class", "set", ["records", "*", "error", "class"], "no-such-class", "enum"),
        ("enum: an unknown warning code", "set", ["scan", "warnings", "*", "code"], "no-such-warning", "enum"),
        ("enum: an unknown finding code counted", "add", ["summary", "findings", "no-such-finding"], 1, "enum"),
        ("a skipped record with a leaf", "add", ["records", "*", "skipped", "..", "leaf"], {}, "False schema"),
        ("a _hex sibling that is not hex", "add", ["records", "*", "leaf", "cn_hex"], "zz", "pattern"),
        ("missing required: a site's answering", "delete", ["summary", "by_site", "*", "answering"], None, "required"),
        ("wrong type: a vendor's devices a string", "set", ["summary", "by_vendor", "*", "devices"], "3", "type"),
        ("unknown key: a severity of a vendor's findings", "add",
         ["summary", "by_vendor", "*", "findings_by_severity", "severe"], 1, "additionalProperties"),
        ("missing required: scan.version of a scan not rebuilt", "delete", ["scan", "version"], None, "required"),
    ],
    "jsonl": [
        ("wrong type: target.port a string", "set", ["target", "port"], "443", "type"),
        ("missing required: status", "delete", ["status"], None, "required"),
        ("unknown key: in tls", "add", ["tls", "extra"], 1, "additionalProperties"),
        ("unknown key: in the inventory", "add", ["inventory", "extra_column"], "x", "additionalProperties"),
        ("bad date-time: leaf.not_before", "set", ["leaf", "not_before"], BAD_DATE_TIME, "format"),
        ("bad IP: target.ip", "set", ["target", "ip"], BAD_IP, "format"),
        ("enum: provenance.kind", "set", ["assessment", "provenance", "kind"], "vendor", "enum"),
        ("enum: skipped.reason", "set", ["skipped", "reason"], "ignored", "enum"),
    ],
    "diff": [
        ("wrong type: totals.worse a string", "set", ["totals", "worse"], "1", "type"),
        ("wrong type: a change's before a string", "set", ["changes", "*", "before"], "none", "anyOf"),
        ("missing required: totals.unchanged", "delete", ["totals", "unchanged"], None, "required"),
        ("missing required: a reason's text", "delete", ["changes", "*", "reasons", "*", "text"], None, "required"),
        ("unknown key: in audit_settings", "add", ["audit_settings", "extra"], 1, "additionalProperties"),
        ("unknown key: in a change", "add", ["changes", "*", "extra"], 1, "additionalProperties"),
        ("bad date-time: old.started_at", "set", ["old", "started_at"], BAD_DATE_TIME, "format"),
        ("bad IP: a change's ip", "set", ["changes", "*", "ip"], BAD_IP, "format"),
        ("enum: a change's kind", "set", ["changes", "*", "kind"], "different", "enum"),
        ("enum: a reason's field", "set", ["changes", "*", "reasons", "*", "field"], "colour", "enum"),
    ],
    "readiness": [
        ("wrong type: summary.devices a string", "set", ["summary", "devices"], "9", "type"),
        ("missing required: policy.min_rsa_bits", "delete", ["policy", "min_rsa_bits"], None, "required"),
        ("missing required: a device's status", "delete", ["devices", "*", "status"], None, "required"),
        ("unknown key: in the summary", "add", ["summary", "extra"], 1, "unevaluatedProperties"),
        ("unknown key: in a by_vendor group", "add", ["by_vendor", "*", "extra"], 1, "unevaluatedProperties"),
        ("unknown key: in a device", "add", ["devices", "*", "extra"], 1, "additionalProperties"),
        ("bad date-time: at", "set", ["at"], BAD_DATE_TIME, "format"),
        ("bad IP: a device's ip", "set", ["devices", "*", "ip"], BAD_IP, "format"),
        ("enum: a reason code", "set", ["devices", "*", "reasons", "*", "code"], "no-such-reason", "enum"),
        ("enum: a device status", "set", ["devices", "*", "status"], "ready-ish", "enum"),
        ("out of range: a percentage", "set", ["summary", "ready_percent"], 100.5, "maximum"),
    ],
    "issuers": [
        ("wrong type: devices a string", "set", ["devices"], "6", "type"),
        ("wrong type: verified true", "set", ["verified"], True, "const"),
        ("missing required: a leaf issuer's issuer_certificate.sent", "delete",
         ["vendors", "*", "leaf_issuers", "*", "issuer_certificate", "sent"], None, "required"),
        ("missing required: a CA certificate's pem", "delete", ["vendors", "*", "ca_certificates", "*", "pem"], None,
         "required"),
        ("unknown key: in a vendor", "add", ["vendors", "*", "extra"], 1, "additionalProperties"),
        ("unknown key: in a CA certificate's key", "add", ["vendors", "*", "ca_certificates", "*", "key", "extra"], 1,
         "additionalProperties"),
        ("bad date-time: report.started_at", "set", ["report", "started_at"], BAD_DATE_TIME, "format"),
        ("bad date-time: a CA certificate's not_after", "set",
         ["vendors", "*", "ca_certificates", "*", "not_after"], BAD_DATE_TIME, "format"),
        ("enum: at_source", "set", ["at_source"], "guess", "enum"),
        ("enum: a CA certificate's validity", "set", ["vendors", "*", "ca_certificates", "*", "validity"], "fine",
         "enum"),
    ],
    "profile-snippet": [
        ("wrong type: a factory issuer's cn a number", "set", ["factory_issuers", "*", "cn"], 7, "type"),
        ("const: verified true", "set", ["factory_issuers", "*", "verified"], True, "const"),
        ("missing required: issuer_pins", "delete", ["issuer_pins"], None, "required"),
        ("unknown key: in a factory issuer", "add", ["factory_issuers", "*", "extra"], 1, "additionalProperties"),
        ("pattern: a pin that is not a SHA-256", "set", ["issuer_pins", "*", "sha256"], "ab", "pattern"),
    ],
}


def format_checker():
    """A FormatChecker with every format python-jsonschema knows, and date-time made sure of."""
    checker = FormatChecker()
    if "date-time" not in checker.checkers:
        try:
            import pyrfc3339
        except ImportError:
            sys.exit("validate_documents: no date-time checker: install Debian's python3-rfc3339 "
                     "(or rfc3339-validator); run ./install-deps.sh")

        @checker.checks("date-time", raises=ValueError)
        def is_date_time(instance):
            if not isinstance(instance, str):
                return True
            pyrfc3339.parse(instance)
            return True
    return checker


class Schemas:
    """Every *.schema.json of a folder, each resolvable from the others by its file name."""

    def __init__(self, folder):
        self.folder = pathlib.Path(folder).resolve()
        self.documents = {}
        for path in sorted(self.folder.glob("*.schema.json")):
            with open(path, encoding="utf-8") as file:
                self.documents[path.name] = json.load(file)
        self.store = {(self.folder / name).as_uri(): schema for name, schema in self.documents.items()}
        self.checker = format_checker()

    def validator(self, name):
        schema = self.documents[name]
        resolver = RefResolver(base_uri=(self.folder / name).as_uri(), referrer=schema, store=self.store)
        return Draft202012Validator(schema, resolver=resolver, format_checker=self.checker)


def keywords(errors):
    """Every keyword that rejected something, the errors under anyOf/oneOf included."""
    found = set()
    pending = list(errors)
    while pending:
        error = pending.pop()
        # A false subschema ("this key is not allowed here") has no keyword of its own.
        found.add(error.validator if error.validator is not None else "False schema")
        pending.extend(error.context or [])
    return found


def describe(error):
    where = "/".join(str(part) for part in error.absolute_path)
    return f"at /{where}: {error.message[:300]}"


def find_paths(node, path, prefix=()):
    """Concrete paths matching `path` ("*" any element, ".." the parent), the first ones first."""
    if not path:
        yield list(prefix)
        return
    head, rest = path[0], path[1:]
    if head == "..":
        yield from find_paths_from_root(prefix[:-1], rest)
        return
    if head == "*":
        items = enumerate(node) if isinstance(node, list) else node.items() if isinstance(node, dict) else []
        for key, child in items:
            yield from find_paths(child, rest, prefix + (key,))
    elif isinstance(node, dict) and head in node:
        yield from find_paths(node[head], rest, prefix + (head,))
    elif isinstance(node, list) and isinstance(head, int) and head < len(node):
        yield from find_paths(node[head], rest, prefix + (head,))


_ROOT = None


def find_paths_from_root(prefix, rest):
    node = _ROOT
    for key in prefix:
        node = node[key]
    yield from find_paths(node, rest, tuple(prefix))


def mutate(document, operation, path, value):
    """A mutated copy of `document`, or None when nothing in it matches `path`."""
    global _ROOT
    _ROOT = document
    if operation == "add":
        candidates = ((p, path[-1]) for p in find_paths(document, path[:-1]))
        for parent_path, key in candidates:
            parent = document
            for part in parent_path:
                parent = parent[part]
            if isinstance(parent, dict) and key not in parent:
                mutated = copy.deepcopy(document)
                target = mutated
                for part in parent_path:
                    target = target[part]
                target[key] = value
                return mutated, parent_path + [key]
        return None, None
    for concrete in find_paths(document, path):
        mutated = copy.deepcopy(document)
        parent = mutated
        for part in concrete[:-1]:
            parent = parent[part]
        if operation == "set":
            parent[concrete[-1]] = value
        else:
            del parent[concrete[-1]]
        return mutated, concrete
    return None, None


def load(kind, file):
    text = pathlib.Path(file).read_text(encoding="utf-8")
    if kind == "jsonl":
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    return [json.loads(text)]


def check_document(schemas, kind, file, with_mutations):
    failures = 0
    validator = schemas.validator(SCHEMA_FILES[kind])
    documents = load(kind, file)
    if not documents:
        print(f"FAIL {kind} {file}: no document in it")
        return 1
    for number, document in enumerate(documents, 1):
        errors = list(validator.iter_errors(document))
        where = f"{kind} {file}" + (f" line {number}" if kind == "jsonl" else "")
        if errors:
            failures += 1
            print(f"FAIL {where}: {len(errors)} errors")
            for error in errors[:20]:
                print("  " + describe(error))
    print(f"{'ok  ' if failures == 0 else 'FAIL'} {kind} {file}: {len(documents)} document(s) validated")
    if not with_mutations:
        return failures
    for what, operation, path, value, expected in MUTATIONS[kind]:
        mutated = None
        for document in documents:  # for JSONL, the first line that has what the mutation needs
            mutated, concrete = mutate(document, operation, path, value)
            if mutated is not None:
                break
        if mutated is None:
            failures += 1
            print(f"FAIL {kind} mutation '{what}': nothing in {file} matches {path}")
            continue
        found = keywords(validator.iter_errors(mutated))
        if not found:
            failures += 1
            print(f"FAIL {kind} mutation '{what}' at {concrete}: the mutated document still validates")
        elif expected not in found:
            failures += 1
            print(f"FAIL {kind} mutation '{what}' at {concrete}: rejected by {sorted(found)}, not by {expected}")
        else:
            print(f"ok   {kind} mutation '{what}' rejected ({expected})")
    return failures


def self_test(schemas):
    failures = 0
    for name, schema in schemas.documents.items():
        try:
            Draft202012Validator.check_schema(schema)
            print(f"ok   {name} is a valid draft 2020-12 schema")
        except jsonschema.exceptions.SchemaError as error:
            failures += 1
            print(f"FAIL {name}: {error.message}")
    missing = [name for name in SCHEMA_FILES.values() if name not in schemas.documents]
    if missing:
        failures += 1
        print(f"FAIL schemas missing from {schemas.folder}: {missing}")

    # The format checks are live: each bad value below passes everything but "format".
    cases = [
        ({"format": "date-time"}, "2026-11-23T15:50:00Z", True),
        ({"format": "date-time"}, BAD_DATE_TIME, False),
        ({"format": "date-time"}, "2026-11-23T24:00:00Z", False),
        ({"format": "date-time"}, "2026-11-23T15:50:00", False),
        ({"format": "ipv4"}, "127.0.0.1", True),
        ({"format": "ipv4"}, BAD_IP, False),
        ({"format": "ipv6"}, "2001:db8::1", True),
        ({"format": "ipv6"}, "2001:db8::g", False),
    ]
    for schema, instance, valid in cases:
        validator = Draft202012Validator(schema, format_checker=schemas.checker)
        result = validator.is_valid(instance)
        if result != valid:
            failures += 1
            print(f"FAIL format {schema['format']}: {instance!r} {'rejected' if valid else 'accepted'}: "
                  "the format check is not live")
        else:
            print(f"ok   format {schema['format']}: {instance!r} {'accepted' if valid else 'rejected'}")

    # And through the shipped schemas: the record's timestamp and address definitions.
    record = schemas.validator("record.schema.json")
    minimal = {"target": {"ip": "192.0.2.7", "port": 443}, "status": "error", "chain": [],
               "error": {"class": "refused"},
               "tls": {"handshake_complete": False, "legacy_retry": False, "handshake_mode": "certificate-only"}}
    for what, document, valid in [
        ("a minimal error record", minimal, True),
        ("an IPv6 target", {**minimal, "target": {"ip": "2001:db8::7", "port": 443}}, True),
        ("a bad IPv4 target", {**minimal, "target": {"ip": BAD_IP, "port": 443}}, False),
        ("a host name as the target's ip", {**minimal, "target": {"ip": "phone.example", "port": 443}}, False),
    ]:
        if record.is_valid(document) != valid:
            failures += 1
            print(f"FAIL record.schema.json: {what} {'rejected' if valid else 'accepted'}")
        else:
            print(f"ok   record.schema.json: {what} {'accepted' if valid else 'rejected'}")
    timestamp = {"$ref": "record.schema.json#/$defs/timestamp"}
    resolver = RefResolver(base_uri=(schemas.folder / "x.json").as_uri(), referrer=timestamp, store=schemas.store)
    validator = Draft202012Validator(timestamp, resolver=resolver, format_checker=schemas.checker)
    if validator.is_valid(BAD_DATE_TIME) or not validator.is_valid("2026-11-23T15:50:00Z"):
        failures += 1
        print("FAIL record.schema.json#/$defs/timestamp does not check the date")
    else:
        print(f"ok   record.schema.json#/$defs/timestamp rejects {BAD_DATE_TIME}")
    return failures


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    schemas = Schemas(argv[1])
    rest = argv[2:]
    if rest == ["--self-test"]:
        failures = self_test(schemas)
    else:
        with_mutations = "--mutate" in rest
        failures = 0
        inputs = [item for item in rest if item != "--mutate"]
        if not inputs:
            print("validate_documents: no KIND=FILE given", file=sys.stderr)
            return 2
        for item in inputs:
            kind, _, file = item.partition("=")
            if kind not in SCHEMA_FILES or not file:
                print(f"validate_documents: bad argument {item!r}: KIND=FILE with KIND one of "
                      f"{', '.join(SCHEMA_FILES)}", file=sys.stderr)
                return 2
            failures += check_document(schemas, kind, file, with_mutations)
    print(f"{'all passed' if failures == 0 else str(failures) + ' failed'}")
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
