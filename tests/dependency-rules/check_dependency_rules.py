#!/usr/bin/env python3
"""Checks fleetcert's dependency rules on the #include lines of scanner/, probes/ and reports/.

Asio is header-only and every library can reach the include directories, so the build alone enforces
none of these rules; this check does (ctest runs it, see tests/dependency-rules/CMakeLists.txt):

- reports/ includes nothing from probes/, scanner/engine/ or scanner/app/, and no Asio;
- scanner/ outside engine/ and app/ (fleetcert_core) includes no Asio, nothing from probes/ and
  nothing from reports/;
- scanner/engine/ includes nothing from reports/ or scanner/app/;
- scanner/inputs/ includes nothing from scanner/assessment/ or scanner/readiness/;
- scanner/util/ includes nothing else of fleetcert (util has no fleetcert knowledge);
- probes/ includes nothing from reports/, scanner/assessment/, scanner/engine/ or scanner/app/;
- no include cycle between files, and none between stages (model, util, targets, inputs, certificate,
  assessment, readiness, engine, app, probes, reports/sinks, reports/encoding, reports/workflows).

Every #include line counts, also one inside a block comment or an #if 0 (a rule is never skipped
quietly). An include is fleetcert's when it names a path under scanner/, probes/, reports/ or tests/
(includes are written from the repository root), or a file next to the including one.

Prints each violation as "file:line: rule" and exits 1 when there is any, 2 on a usage error.
Usage: check_dependency_rules.py [ROOT]   (ROOT: the repository, by default two folders up)
"""

import os
import re
import sys
from collections import defaultdict

SOURCE_FOLDERS = ("scanner", "probes", "reports")
PROJECT_FOLDERS = SOURCE_FOLDERS + ("tests",)
SOURCE_SUFFIXES = (".hpp", ".h", ".hh", ".cpp", ".cc", ".cxx", ".ipp", ".tpp", ".inl")
INCLUDE_LINE = re.compile(r'^\s*#\s*include\s*([<"])([^">]+)[">]')
ASIO_HEADER = re.compile(r"^asio(\.hpp$|/)")
CORE_STAGES = ("model", "util", "targets", "inputs", "certificate", "assessment", "readiness")



def stage_of(path):
    """The stage of a repository path: "model" for scanner/model/..., "probes", "reports/sinks"...;
    a file directly in scanner/ or reports/ is the stage "scanner" or "reports"; None outside."""
    parts = path.split("/")
    if parts[0] == "scanner":
        return parts[1] if len(parts) > 2 else "scanner"
    if parts[0] == "reports":
        return "reports/" + parts[1] if len(parts) > 2 else "reports"
    if parts[0] in PROJECT_FOLDERS:
        return parts[0]
    return None


def target_of(stage):
    """The CMake library that compiles a stage's sources."""
    if stage in CORE_STAGES or stage == "scanner":
        return "fleetcert_core"
    if stage == "probes":
        return "fleetcert_probes"
    if stage.startswith("reports"):
        return "fleetcert_reports"
    if stage == "engine":
        return "fleetcert_engine"
    if stage == "app":
        return "fleetcert_app"
    return None


class Include:
    """One #include line: where it is, what it names and what that resolves to."""

    def __init__(self, source, line, spelled, project_path):
        self.source = source            # the including file, from the repository root
        self.line = line                # 1-based
        self.spelled = spelled          # as written between the delimiters
        self.target = project_path      # the included fleetcert file from the root, or None
        self.is_asio = project_path is None and bool(ASIO_HEADER.match(spelled))

    def where(self):
        return f"{self.source}:{self.line}"


def read_includes(root):
    """Every #include of every source file under SOURCE_FOLDERS, and the set of those files."""
    files = []
    for folder in SOURCE_FOLDERS:
        for directory, subdirectories, names in os.walk(os.path.join(root, folder)):
            subdirectories.sort()
            for name in sorted(names):
                if name.endswith(SOURCE_SUFFIXES):
                    files.append(os.path.relpath(os.path.join(directory, name), root).replace(os.sep, "/"))
    includes = []
    for source in files:
        with open(os.path.join(root, source), encoding="utf-8", errors="replace") as stream:
            for number, text in enumerate(stream, start=1):
                match = INCLUDE_LINE.match(text)
                if match:
                    includes.append(Include(source, number, match.group(2),
                                            resolve(root, source, match.group(1), match.group(2))))
    return files, includes


def resolve(root, source, delimiter, spelled):
    """The fleetcert file an include names, from the repository root, or None for a system header."""
    normalized = os.path.normpath(spelled).replace(os.sep, "/")
    if normalized.split("/")[0] in PROJECT_FOLDERS:
        return normalized
    if delimiter == '"':
        beside = os.path.normpath(os.path.join(os.path.dirname(source), spelled)).replace(os.sep, "/")
        if os.path.isfile(os.path.join(root, beside)) and beside.split("/")[0] in PROJECT_FOLDERS:
            return beside
    return None


def under(path, *folders):
    return path is not None and any(path.startswith(folder + "/") for folder in folders)


# Rules on single includes: (applies to the including file, breaks the rule for this include, rule).
def include_rules():
    core_folders = tuple("scanner/" + stage for stage in CORE_STAGES)
    return [
        (lambda s: under(s, "reports"), lambda i: under(i.target, "probes"),
         "reports/ never includes probes/"),
        (lambda s: under(s, "reports"), lambda i: i.is_asio,
         "reports/ never includes Asio"),
        (lambda s: under(s, "reports"), lambda i: under(i.target, "scanner/engine", "scanner/app"),
         "reports/ includes nothing from scanner/engine/ or scanner/app/"),
        (lambda s: under(s, "scanner") and not under(s, "scanner/engine", "scanner/app"),
         lambda i: i.is_asio,
         "scanner/ outside engine/ and app/ includes no Asio"),
        (lambda s: under(s, "scanner") and not under(s, "scanner/engine", "scanner/app"),
         lambda i: under(i.target, "probes"),
         "scanner/ outside engine/ and app/ includes nothing from probes/"),
        (lambda s: under(s, *core_folders), lambda i: under(i.target, "reports"),
         "scanner/ outside engine/ and app/ (fleetcert_core) includes nothing from reports/"),
        (lambda s: under(s, "scanner/engine"), lambda i: under(i.target, "reports", "scanner/app"),
         "scanner/engine/ includes nothing from reports/ or scanner/app/"),
        (lambda s: under(s, "scanner/inputs"),
         lambda i: under(i.target, "scanner/assessment", "scanner/readiness"),
         "scanner/inputs/ includes nothing from scanner/assessment/ or scanner/readiness/"),
        (lambda s: under(s, "scanner/util"),
         lambda i: i.target is not None and not under(i.target, "scanner/util"),
         "scanner/util/ includes nothing else of fleetcert (util has no fleetcert knowledge)"),
        (lambda s: under(s, "probes"),
         lambda i: under(i.target, "reports", "scanner/assessment", "scanner/engine", "scanner/app"),
         "probes/ includes nothing from reports/, scanner/assessment/, scanner/engine/ or scanner/app/"),
    ]


def strongly_connected(graph):
    """The strongly connected components of {node: set(nodes)} (Tarjan, iterative), each sorted."""
    index, low, on_stack, stack, components = {}, {}, set(), [], []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            advanced = False
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = counter
                    counter += 1
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(graph.get(successor, ())))))
                    advanced = True
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(sorted(component))
    return components


def shortest_cycle(graph, component):
    """A shortest cycle through the first node of a strongly connected component, as a node list
    that starts and ends with that node (breadth-first search inside the component)."""
    members = set(component)
    start = component[0]
    previous = {start: None}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for successor in sorted(graph.get(node, ())):
                if successor == start:
                    path = [node]
                    while previous[path[-1]] is not None:
                        path.append(previous[path[-1]])
                    return list(reversed(path)) + [start]
                if successor in members and successor not in previous:
                    previous[successor] = node
                    following.append(successor)
        frontier = following
    return [start, start]


def cycles(graph, first_include):
    """Violations for every cycle of `graph`: one per strongly connected component, naming a shortest
    cycle through it edge by edge with the include line that makes each edge."""
    found = []
    for component in strongly_connected(graph):
        if len(component) == 1 and component[0] not in graph.get(component[0], ()):
            continue
        path = shortest_cycle(graph, component)
        steps = [f"{a} -> {b} ({first_include[(a, b)].where()})" for a, b in zip(path, path[1:])]
        found.append((first_include[(path[0], path[1])], component, steps))
    return found


def check(root):
    """The violation lines for the tree at `root`."""
    files, includes = read_includes(root)
    if not files:
        return [f"{root}: no sources under {', '.join(SOURCE_FOLDERS)}: not a fleetcert tree"]
    violations = []
    rules = include_rules()
    for include in includes:
        broken = [rule for applies, breaks, rule in rules if applies(include.source) and breaks(include)]
        for rule in broken:
            violations.append(f"{include.where()}: {rule} (includes {include.spelled})")
        if not broken and include.target is not None:
            source_stage, target_stage = stage_of(include.source), stage_of(include.target)
            source_library, target_library = target_of(source_stage), target_of(target_stage)
            if (source_library and target_library and source_library != target_library
                    and not links(source_library, target_library)):
                violations.append(f"{include.where()}: {source_library} ({source_stage}/) does not link "
                                  f"{target_library}, so it includes nothing from {target_stage}/ "
                                  f"(includes {include.spelled})")

    known_files = set(files)
    file_graph, file_edge = defaultdict(set), {}
    stage_graph, stage_edge = defaultdict(set), {}
    for include in includes:
        if include.target is None or include.target not in known_files:
            continue
        file_graph[include.source].add(include.target)
        file_edge.setdefault((include.source, include.target), include)
        source_stage, target_stage = stage_of(include.source), stage_of(include.target)
        if source_stage != target_stage:
            stage_graph[source_stage].add(target_stage)
            stage_edge.setdefault((source_stage, target_stage), include)
    for include, component, steps in cycles(file_graph, file_edge):
        violations.append(f"{include.where()}: no include cycle between files: {' '.join(steps)}"
                          + (f" (files in the cycle: {', '.join(component)})" if len(component) > 2 else ""))
    for include, component, steps in cycles(stage_graph, stage_edge):
        violations.append(f"{include.where()}: no include cycle between stages: {' '.join(steps)}"
                          + (f" (stages in the cycle: {', '.join(component)})" if len(component) > 2 else ""))
    return violations


# Which libraries each library links (tests/ links everything and is not checked).
LINKS = {
    "fleetcert_core": set(),
    "fleetcert_probes": {"fleetcert_core"},
    "fleetcert_reports": {"fleetcert_core"},
    "fleetcert_engine": {"fleetcert_core", "fleetcert_probes"},
    "fleetcert_app": {"fleetcert_core", "fleetcert_probes", "fleetcert_reports", "fleetcert_engine"},
}


def links(library, other):
    return other in LINKS.get(library, set())


def main(arguments):
    if len(arguments) > 1 or (arguments and arguments[0].startswith("-")):
        print("usage: check_dependency_rules.py [ROOT]", file=sys.stderr)
        return 2
    root = arguments[0] if arguments else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    root = os.path.abspath(root)
    if not os.path.isdir(root):
        print(f"check_dependency_rules: {root}: not a directory", file=sys.stderr)
        return 2
    violations = check(root)
    for violation in violations:
        print(violation)
    if violations:
        print(f"check_dependency_rules: {len(violations)} violation(s) of the dependency rules "
              f"(see tests/dependency-rules/check_dependency_rules.py)")
        return 1
    print("check_dependency_rules: every include of scanner/, probes/ and reports/ keeps the rules")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
