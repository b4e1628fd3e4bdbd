"""The `rolegraph` command: run, validate, schema, roles, personas, graph."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table

from rolegraph.errors import ScenarioError, UsageError

err = Console(stderr=True, highlight=False)
out = Console(highlight=False)


def _cmd_validate(args: argparse.Namespace) -> int:
    from rolegraph.scenario import Scenario

    failed = 0
    for file in args.files:
        try:
            scenario = Scenario.from_file(file)
        except ScenarioError as exc:
            failed += 1
            for line in exc.problems:
                print(line, file=sys.stderr)
            continue
        if not args.quiet:
            print(
                f"{file}: ok ({scenario.name}: {len(scenario.speakers)} speakers, {len(scenario.all_facts())} facts)"
            )
    return 2 if failed else 0


def _cmd_schema(args: argparse.Namespace) -> int:
    from rolegraph.scenario import scenario_json_schema

    text = json.dumps(scenario_json_schema(), indent=2) + "\n"
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def _cmd_roles(args: argparse.Namespace) -> int:
    from agents import all_roles

    table = Table("role", "description", "defined in", show_lines=False)
    for name, cls in all_roles().items():
        table.add_row(name, cls.description, f"{cls.__module__}:{cls.__qualname__}")
    out.print(table)
    return 0


def _cmd_personas(args: argparse.Namespace) -> int:
    from personas import builtin_libraries

    libraries = builtin_libraries()
    if args.library:
        if args.library not in libraries:
            raise UsageError(
                f"unknown persona library '{args.library}' (known: {', '.join(libraries)})"
            )
        table = Table("name", "role", "traits", "goals", title=args.library)
        for p in libraries[args.library].personas:
            table.add_row(p.name, p.role, ", ".join(p.traits), "; ".join(p.goals))
    else:
        table = Table("library", "personas", "description")
        for name, library in libraries.items():
            table.add_row(name, str(len(library.personas)), library.description)
    out.print(table)
    return 0


def _cmd_graph(args: argparse.Namespace) -> int:
    from graphs import build_sample_graph
    from rolegraph.scenario import Scenario

    Scenario.from_file(args.scenario)
    drawable = build_sample_graph().compile().get_graph()
    sys.stdout.write(drawable.draw_mermaid() + "\n")
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from rolegraph.runner import RunOptions, run_scenario
    from rolegraph.scenario import Scenario

    scenario = Scenario.from_file(args.scenario)
    options = RunOptions(
        out=Path(args.out) if args.out else None,
        samples=args.samples,
        seed=args.seed,
        concurrency=args.concurrency,
        model=args.model,
        base_url=args.base_url,
        quiet=args.quiet,
    )
    try:
        summary = asyncio.run(run_scenario(scenario, options))
    except KeyboardInterrupt:
        err.print("[yellow]interrupted[/]: finished samples are in the run directory")
        return 130
    c = summary.counts
    table = Table(title=f"rolegraph run: {scenario.name}", show_header=False)
    table.add_row(
        "samples",
        f"{summary.planned} planned: {c['accepted']} accepted, {c['rejected']} rejected, {c['failed']} failed",
    )
    rate = c["accepted"] / summary.planned if summary.planned else 0
    table.add_row("acceptance rate", f"{rate:.0%}")
    table.add_row("revisions", str(summary.revisions))
    tokens = sum(int(v.get("total_tokens", 0)) for v in summary.usage.values())
    table.add_row("tokens", f"{tokens:,}")
    table.add_row(
        "time",
        f"{summary.seconds:.1f} s ({summary.done / max(summary.seconds, 1e-9) * 60:.1f} samples/min)",
    )
    table.add_row("output", str(summary.out_dir))
    (err if args.quiet else out).print(table)
    print(f"data written to {summary.out_dir}/accepted.jsonl")
    return 0 if c["failed"] < summary.planned else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rolegraph", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("run", help="generate samples from a scenario file")
    p.add_argument("scenario")
    p.add_argument(
        "-n", "--samples", type=int, help="number of samples (default: the scenario's run.samples)"
    )
    p.add_argument(
        "--model", help="model spec for every role: local, scripted, openai:MODEL, provider:MODEL"
    )
    p.add_argument(
        "--base-url", help="base URL of an OpenAI-compatible server (with --model openai:MODEL)"
    )
    p.add_argument("--out", help="run directory (default: runs/NAME-TIMESTAMP)")
    p.add_argument("--seed", type=int, help="run seed (default: the scenario's run.seed)")
    p.add_argument(
        "--concurrency",
        type=int,
        help="samples in flight (default: the scenario's run.concurrency)",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress display")
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser("validate", help="check scenario files; exit 2 with file:line errors")
    p.add_argument("files", nargs="+")
    p.add_argument("-q", "--quiet", action="store_true")
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("schema", help="print the JSON Schema of scenario files")
    p.add_argument("-o", "--output")
    p.set_defaults(func=_cmd_schema)

    p = sub.add_parser("roles", help="list the agent roles that can be used")
    p.set_defaults(func=_cmd_roles)

    p = sub.add_parser(
        "personas", help="list the shipped persona libraries, or one library's personas"
    )
    p.add_argument("library", nargs="?")
    p.set_defaults(func=_cmd_personas)

    p = sub.add_parser("graph", help="print the agent graph of a scenario (Mermaid)")
    p.add_argument("scenario")
    p.set_defaults(func=_cmd_graph)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; user mistakes end with one message and exit code 2, never a traceback."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ScenarioError as exc:
        for line in exc.problems:
            print(line, file=sys.stderr)
        return exc.exit_code
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)  # plain: no wrapping, no markup in user text
        return exc.exit_code
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
