"""What each `rolegraph` command does; `rolegraph.cli` parses the command line and calls these."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from rolegraph.errors import ScenarioError, UsageError

if TYPE_CHECKING:  # the command loads what it runs only when it runs it
    from rolegraph.run.canary import CriticCheck

err = Console(stderr=True, highlight=False)
out = Console(highlight=False)


def _cmd_validate(args: argparse.Namespace) -> int:
    from rolegraph.scenario.modelspec import spec_problem
    from rolegraph.scenario.schema import Scenario

    failed = 0
    results = []
    model_problem = spec_problem(args.model) if args.model else None
    for file in args.files:
        try:
            scenario = Scenario.from_file(file)
        except ScenarioError as exc:
            failed += 1
            results.append({"file": file, "ok": False, "problems": exc.problems})
            if not args.json:
                for line in exc.problems:
                    print(line, file=sys.stderr)
            continue
        if model_problem:
            failed += 1
            problem = f"--model: {model_problem}"
            results.append({"file": file, "ok": False, "problems": [problem]})
            if not args.json:
                print(f"{file}: {problem}", file=sys.stderr)
            continue
        results.append(
            {
                "file": file,
                "ok": True,
                "name": scenario.name,
                "speakers": len(scenario.speakers),
                "facts": len(scenario.all_facts()),
                "models": {role: c.spec for role, c in scenario.models.items()},
            }
        )
        seed = scenario.seed_data()
        if seed is not None:
            results[-1]["seed_rows"] = len(seed)
        if not args.quiet and not args.json:
            grounding = f", a seed of {len(seed):,} rows" if seed is not None else ""
            print(
                f"{file}: ok ({scenario.name}: {len(scenario.speakers)} speakers, {len(scenario.all_facts())} facts{grounding})"
            )
    if args.json:
        sys.stdout.write(json.dumps({"ok": not failed, "files": results}, indent=2) + "\n")
    return 2 if failed else 0


def _cmd_schema(args: argparse.Namespace) -> int:
    from rolegraph.scenario.schema import scenario_json_schema

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
        table.add_row(
            Text(name), Text(cls.description), Text(f"{cls.__module__}:{cls.__qualname__}")
        )
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
        table = Table("name", "role", "traits", "goals", title=Text(args.library))
        for p in libraries[args.library].personas:
            table.add_row(*map(Text, (p.name, p.role, ", ".join(p.traits), "; ".join(p.goals))))
    else:
        table = Table("library", "personas", "description")
        for name, library in libraries.items():
            table.add_row(Text(name), str(len(library.personas)), Text(library.description))
    out.print(table)
    return 0


GRAPH_FORMATS = ["mermaid", "ascii", "dot", "png", "svg", "html", "graphml"]
GRAPH_SUFFIXES = {"htm": "html", "mmd": "mermaid", "gv": "dot", "txt": "ascii"}


def _cmd_graph(args: argparse.Namespace) -> int:
    from graphs.visualize import render
    from rolegraph.outputs.report import scenario_graph
    from rolegraph.scenario.schema import Scenario

    suffix = Path(args.output).suffix.lstrip(".").lower() if args.output else ""
    fmt = args.format or GRAPH_SUFFIXES.get(suffix, suffix) or "mermaid"
    drawing = render(scenario_graph(Scenario.from_file(args.scenario)), fmt)
    if args.output:
        path = Path(args.output)
        if isinstance(drawing, bytes):
            path.write_bytes(drawing)
        else:
            path.write_text(drawing, encoding="utf-8")
        print(f"{fmt} graph written to {path}", file=sys.stderr)
    elif isinstance(drawing, bytes):
        if sys.stdout.isatty():
            raise UsageError(f"{fmt} is a binary format: write it to a file with -o graph.{fmt}")
        sys.stdout.buffer.write(drawing)
    else:
        sys.stdout.write(drawing)
    return 0


def _cmd_preview(args: argparse.Namespace) -> int:
    import asyncio

    from rolegraph.run.preview import preview
    from rolegraph.scenario.schema import Scenario

    scenario = Scenario.from_file(args.scenario)
    asyncio.run(
        preview(
            scenario, samples=args.samples, model=args.model, base_url=args.base_url, seed=args.seed
        )
    )
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from rolegraph.outputs.report import build_report

    print(f"report written to {build_report(args.run_dir, args.output)}")
    return 0


def _manifest(run_dir: Path) -> dict[str, Any]:
    path = run_dir / "manifest.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def _cmd_run(args: argparse.Namespace) -> int:
    from rolegraph.run.options import RunOptions, default_out_dir
    from rolegraph.run.runner import run_scenario
    from rolegraph.scenario.modelspec import spec_problem
    from rolegraph.scenario.schema import Scenario

    scenario = Scenario.from_file(args.scenario)
    if args.model and (problem := spec_problem(args.model)):
        raise UsageError(f"--model: {problem}")
    options = RunOptions(
        out=Path(args.out) if args.out else default_out_dir(scenario),
        samples=args.samples,
        seed=args.seed,
        concurrency=args.concurrency,
        model=args.model,
        base_url=args.base_url,
        api_key_env=args.api_key_env,
        quiet=args.quiet or args.json,
        resume=args.resume or args.retry_failed,
        retry_failed=args.retry_failed,
        force=args.force,
        max_failures=args.max_failures,
        max_cost=args.max_cost,
        checkpoint=args.checkpoint,
        executor=args.executor,
        workers=args.workers,
        ray_address=args.ray_address,
        critic_check=args.critic_check,
    )
    terminated, previous = _sigterm_as_ctrl_c()
    try:
        summary = asyncio.run(run_scenario(scenario, options))
    except KeyboardInterrupt:
        print(
            f"{'terminated' if terminated else 'interrupted'}: finished samples are kept; "
            f"continue with: rolegraph run {args.scenario} --out {options.out} --resume",
            file=sys.stderr,
        )
        return 143 if terminated else 130
    finally:
        if previous is not None:
            import signal

            signal.signal(signal.SIGTERM, previous)
    c = summary.counts
    if args.json:
        body = {
            "scenario": scenario.name,
            "run_dir": str(summary.out_dir),
            "planned": summary.planned,
            "accepted": c["accepted"],
            "rejected": c["rejected"],
            "failed": c["failed"],
            "review": c.get("review", 0),
            "revisions": summary.revisions,
            "tokens": sum(int(v.get("total_tokens", 0)) for v in summary.usage.values()),
            "cost_usd": round(summary.cost, 6),
            "seconds": round(summary.seconds, 2),
            "stopped": summary.stopped,
            "critic_check": _manifest(summary.out_dir).get("critic_check", {}).get("status"),
        }
        sys.stdout.write(json.dumps(body, indent=2) + "\n")
        return 1 if summary.stopped or (c["failed"] and c["failed"] >= summary.planned) else 0
    table = Table(title=Text(f"rolegraph run: {scenario.name}"), show_header=False)
    table.add_row(
        "samples",
        f"{summary.planned} planned: {c['accepted']} accepted, {c['rejected']} rejected, {c['failed']} failed"
        + (f", {c['review']} waiting for review" if c.get("review") else ""),
    )
    rate = c["accepted"] / summary.planned if summary.planned else 0
    table.add_row("acceptance rate", f"{rate:.0%}")
    table.add_row("revisions", str(summary.revisions))
    tokens = sum(int(v.get("total_tokens", 0)) for v in summary.usage.values())
    table.add_row("tokens", f"{tokens:,}" + (f" (${summary.cost:.4f})" if summary.cost else ""))
    table.add_row(
        "time",
        f"{summary.seconds:.1f} s ({summary.done / max(summary.seconds, 1e-9) * 60:.1f} samples/min)",
    )
    table.add_row("output", Text(str(summary.out_dir)))  # a path: plain text, not markup
    if not args.quiet:
        out.print(table)
    line = f"{c['accepted']} accepted, {c['rejected']} rejected, {c['failed']} failed"
    if c["accepted"]:
        print(f"{line}; data written to {summary.out_dir}/accepted.jsonl")
    else:
        print(
            f"{line}; no sample was accepted: see {summary.out_dir}/rejected.jsonl and failed.jsonl for why"
        )
    if c.get("review"):
        print(f"{c['review']} samples wait for a person: rolegraph review {summary.out_dir}")
    if summary.stopped:
        print(f"stopped early: {summary.stopped}", file=sys.stderr)
        return 1
    return 0 if c["failed"] < summary.planned else 1


def _sigterm_as_ctrl_c() -> tuple[list[int], Any]:
    """SIGTERM (kill, systemd, docker stop) stops a run as Ctrl-C does.

    The handler re-raises as SIGINT, which asyncio turns into a cancelled run: the samples
    in flight stop, the files are flushed, the manifest says "interrupted". Returns the list
    that fills when SIGTERM came, and the handler to put back (None off the main thread,
    where Python allows no handlers).
    """
    import signal
    import threading

    came: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        return came, None

    def on_term(signum: int, frame: object) -> None:
        came.append(signum)
        signal.raise_signal(signal.SIGINT)

    return came, signal.signal(signal.SIGTERM, on_term)


def _cmd_check_critic(args: argparse.Namespace) -> int:
    from rolegraph.models.specs import build_models, close_models, role_configs
    from rolegraph.run.canary import check_before_run
    from rolegraph.scenario.modelspec import spec_problem
    from rolegraph.scenario.schema import Scenario

    scenario = Scenario.from_file(args.scenario)
    if args.model and (problem := spec_problem(args.model)):
        raise UsageError(f"--model: {problem}")
    configs = role_configs(scenario, ["critic"], args.model, args.base_url)
    models = build_models(configs, scenario.run.seed)

    async def check() -> CriticCheck:
        try:
            return await check_before_run(
                scenario, models, None, model_label=configs["critic"].spec
            )
        finally:
            await close_models(models)

    result = asyncio.run(check())
    if args.json:
        sys.stdout.write(json.dumps(result.as_manifest(), indent=2) + "\n")
    else:
        _print_check(result)
    return 1 if result.warns else 0


def _short(text: str, width: int = 48) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _print_check(r: CriticCheck) -> None:
    if r.scores:
        criteria = list(next(iter(r.criteria.values())))
        table = Table("canary", "planted", *criteria, "weighted", title=f"critic check: {r.model}")
        for kind, score in r.scores.items():
            table.add_row(
                kind,
                _short(r.planted.get(kind, "")),
                *(f"{r.criteria[kind][c]:g}" for c in criteria),
                f"{score:g}",
            )
        out.print(table)
    print(r.line())


def _cmd_review(args: argparse.Namespace) -> int:
    from rolegraph.run.review import review_run, terminal_decider
    from rolegraph.scenario.schema import Scenario

    scenario = Scenario.from_file(args.scenario) if args.scenario else None
    done = asyncio.run(
        review_run(
            Path(args.run_dir),
            terminal_decider(out),
            scenario=scenario,
            model=args.model,
            base_url=args.base_url,
            force=args.force,
        )
    )
    if not done:
        print(f"{args.run_dir}: no sample waits for review")
        return 0
    print(", ".join(f"{n} {status}" for status, n in sorted(done.items())))
    return 0


def _cmd_eval(args: argparse.Namespace) -> int:
    from rolegraph.outputs.eval_tables import render, render_compare
    from rolegraph.outputs.evaluate import evaluate, parse_prices
    from rolegraph.outputs.rundir import open_run

    options = {
        "seed": args.seed,
        "prices": parse_prices(args.price or []),
        "embed": args.embed,
        "downstream": args.downstream,
        "test_file": args.test,
    }
    report = evaluate(open_run(args.run_dir), **options)
    other = evaluate(open_run(args.compare), **options) if args.compare else None
    if args.json:
        body = {"runs": [report, other]} if other else report
        sys.stdout.write(json.dumps(body, indent=2, ensure_ascii=False) + "\n")
        return 0
    for table in render_compare(report, other) if other else render(report):
        out.print(table)
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from rolegraph.outputs.export import export
    from rolegraph.outputs.rundir import open_run

    result = export(
        open_run(args.run_dir),
        args.format,
        args.output,
        weights=args.weights,
        seed=args.seed,
        alternate=args.alternate,
    )
    print(f"{result.rows} {result.format} rows written to {result.path}")
    return 0


def _cmd_judge(args: argparse.Namespace) -> int:
    """The gate over existing dialogues (rolegraph.run.judge); figures when rows are labelled."""
    from rolegraph.outputs.confusion import format_stats
    from rolegraph.run.judge import JudgeOptions, judge_file
    from rolegraph.scenario.modelspec import spec_problem
    from rolegraph.scenario.schema import Scenario

    scenario = Scenario.from_file(args.scenario)
    if args.model and (problem := spec_problem(args.model)):
        raise UsageError(f"--model: {problem}")
    options = JudgeOptions(
        out=Path(args.out) if args.out else None,
        concurrency=args.concurrency,
        model=args.model,
        base_url=args.base_url,
        resume=args.resume,
    )
    summary = asyncio.run(judge_file(Path(args.file), scenario, options))
    c = summary.counts
    if args.json:
        body = {
            "run_dir": str(summary.out_dir),
            "rows": summary.rows,
            **{k: c[k] for k in ("accepted", "rejected", "failed")},
            "metrics": summary.stats.as_dict() if summary.stats else None,
        }
        sys.stdout.write(json.dumps(body, indent=2) + "\n")
    else:
        print(
            f"judged {summary.rows} rows: {c['accepted']} accepted, {c['rejected']} rejected, "
            f"{c['failed']} failed; verdicts in {summary.out_dir}"
        )
        if summary.stats:
            print(format_stats(summary.stats))
    return 1 if c["failed"] and c["failed"] >= summary.rows else 0
