"""The `rolegraph` command line: the parser and the entry point (the commands: rolegraph.commands)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from rolegraph.commands import (
    GRAPH_FORMATS,
    _cmd_check_critic,
    _cmd_eval,
    _cmd_export,
    _cmd_graph,
    _cmd_judge,
    _cmd_personas,
    _cmd_preview,
    _cmd_report,
    _cmd_review,
    _cmd_roles,
    _cmd_run,
    _cmd_schema,
    _cmd_validate,
)
from rolegraph.errors import ScenarioError, UsageError
from rolegraph.version import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rolegraph",
        description="Synthetic training data as multi-role LLM simulations behind a critic gate.",
        epilog="Run 'rolegraph COMMAND --help' for a command's options. "
        "Environment: ROLEGRAPH_MODEL (default --model), OPENAI_BASE_URL (default --base-url).",
    )
    parser.add_argument("--version", action="version", version=f"rolegraph {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    # for every command that reads a scenario: the folders its files may come from
    files = argparse.ArgumentParser(add_help=False)
    files.add_argument(
        "--allow-path",
        action="append",
        default=[],
        metavar="DIR",
        help="let the scenario read files (facts_file, library, seed) from DIR too, not only "
        "from its own folder (repeatable; also $ROLEGRAPH_ALLOW_PATHS)",
    )

    p = sub.add_parser("run", help="generate samples from a scenario file", parents=[files])
    p.add_argument("scenario")
    p.add_argument(
        "-n", "--samples", type=int, help="number of samples (default: the scenario's run.samples)"
    )
    p.add_argument(
        "--model",
        default=os.environ.get("ROLEGRAPH_MODEL") or None,
        help="model spec for every role: local, scripted, openai:MODEL, provider:MODEL "
        "(default: $ROLEGRAPH_MODEL, else the scenario's)",
    )
    p.add_argument(
        "--base-url",
        default=os.environ.get("OPENAI_BASE_URL") or None,
        help="base URL of an OpenAI-compatible server, with --model openai:MODEL "
        "(default: $OPENAI_BASE_URL)",
    )
    p.add_argument(
        "--api-key-env",
        metavar="VAR",
        help="environment variable whose key every openai: model sends to its base_url "
        "(without it, $OPENAI_API_KEY goes to api.openai.com only)",
    )
    p.add_argument("--out", help="run directory (default: runs/NAME-TIMESTAMP)")
    p.add_argument("--seed", type=int, help="run seed (default: the scenario's run.seed)")
    p.add_argument(
        "--concurrency",
        type=int,
        help="samples in flight (default: the scenario's run.concurrency)",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress display")
    p.add_argument(
        "--json", action="store_true", help="print the final summary as JSON (no progress display)"
    )
    p.add_argument(
        "--resume", action="store_true", help="continue the run in --out where it stopped"
    )
    p.add_argument(
        "--retry-failed",
        action="store_true",
        help="with --resume (implied): run the failed samples again; their failures stay in "
        "their history",
    )
    p.add_argument(
        "--force", action="store_true", help="with --resume: continue even if the scenario changed"
    )
    p.add_argument(
        "--max-failures",
        type=int,
        default=10,
        metavar="N",
        help="stop after N samples in a row fail, e.g. on a wrong API key (default 10; 0: never)",
    )
    p.add_argument(
        "--max-cost",
        type=float,
        metavar="USD",
        help="start no new sample once the cost would pass USD",
    )
    p.add_argument(
        "--checkpoint",
        choices=["step", "sample"],
        default="step",
        help="step (default): an interrupted sample resumes mid-dialogue; sample: cheaper, it restarts",
    )
    p.add_argument(
        "--executor",
        choices=["local", "processes", "ray"],
        default="local",
        help="where samples run: this process; worker processes on this machine (uses every "
        'core); or a Ray cluster (needs "rolegraph[ray]")',
    )
    p.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="with --executor processes: how many worker processes (default: one per core)",
    )
    p.add_argument(
        "--no-critic-check",
        dest="critic_check",
        action="store_const",
        const=False,
        default=None,
        help="skip the critic sanity check on canaries before the run",
    )
    p.add_argument(
        "--ray-address",
        metavar="ADDR",
        help="with --executor ray: the cluster to join (default: RAY_ADDRESS, else a local Ray)",
    )
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser(
        "check-critic",
        help="can the critic model tell the scenario's canaries apart? (exit 1 when it cannot)",
    )
    p.add_argument("scenario")
    p.add_argument(
        "--model",
        default=os.environ.get("ROLEGRAPH_MODEL") or None,
        help="critic model spec (default: $ROLEGRAPH_MODEL, else the scenario's critic model)",
    )
    p.add_argument(
        "--base-url",
        default=os.environ.get("OPENAI_BASE_URL") or None,
        help="base URL of an OpenAI-compatible server (default: $OPENAI_BASE_URL)",
    )
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=_cmd_check_critic)

    p = sub.add_parser(
        "validate", help="check scenario files; exit 2 with file:line errors", parents=[files]
    )
    p.add_argument("files", nargs="+")
    p.add_argument("-q", "--quiet", action="store_true")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument(
        "--model",
        default=os.environ.get("ROLEGRAPH_MODEL") or None,
        help="also check this model spec (default: $ROLEGRAPH_MODEL)",
    )
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

    p = sub.add_parser(
        "graph", help="draw the agent graph of a scenario (Mermaid by default)", parents=[files]
    )
    p.add_argument("scenario")
    p.add_argument(
        "--format",
        choices=GRAPH_FORMATS,
        help="drawing format (default: from the -o suffix, else mermaid); png needs the viz extra",
    )
    p.add_argument("-o", "--output", help="write to this file instead of standard output")
    p.set_defaults(func=_cmd_graph)

    p = sub.add_parser(
        "preview", help="watch a few samples happen turn by turn; writes nothing", parents=[files]
    )
    p.add_argument("scenario")
    p.add_argument("-n", "--samples", type=int, default=1, help="how many samples (default 1)")
    p.add_argument(
        "--model",
        default=os.environ.get("ROLEGRAPH_MODEL") or None,
        help="model spec for every role (default: $ROLEGRAPH_MODEL, else the scenario's)",
    )
    p.add_argument(
        "--base-url",
        default=os.environ.get("OPENAI_BASE_URL") or None,
        help="base URL of an OpenAI-compatible server (default: $OPENAI_BASE_URL)",
    )
    p.add_argument("--seed", type=int, help="run seed (default: the scenario's run.seed)")
    p.set_defaults(func=_cmd_preview)

    p = sub.add_parser(
        "report", help="write a self-contained HTML report of a run directory", parents=[files]
    )
    p.add_argument("run_dir")
    p.add_argument("-o", "--output", help="HTML file (default: RUN_DIR/report.html)")
    p.set_defaults(func=_cmd_report)

    p = sub.add_parser(
        "eval",
        help="faithfulness, diversity, coverage and cost of a run directory",
        parents=[files],
    )
    p.add_argument("run_dir")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--compare", metavar="OTHER_RUN", help="put a second run side by side")
    p.add_argument(
        "--price",
        action="append",
        metavar="SPEC=IN,OUT",
        help="USD per million input,output tokens of a model spec (repeatable)",
    )
    p.add_argument(
        "--embed",
        action="store_true",
        help='embedding similarity on 100 sampled dialogues (needs "rolegraph[embed]")',
    )
    p.add_argument(
        "--downstream",
        metavar="CONDITION",
        help='cross-validated accuracy of predicting CONDITION from the text (needs "rolegraph[eval]")',
    )
    p.add_argument(
        "--test",
        metavar="FILE",
        help="with --downstream: train on the run, test on your labelled JSONL ('text' or 'messages', and 'label')",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the sampled metrics (default 0)")
    p.set_defaults(func=_cmd_eval)

    p = sub.add_parser(
        "review",
        help="decide the samples waiting for a person (critic.review_band)",
        parents=[files],
    )
    p.add_argument("run_dir")
    p.add_argument("--scenario", help="the run's scenario file (default: the one in the manifest)")
    p.add_argument("--model", help="model spec for gates after the critic, as for run")
    p.add_argument("--base-url", help="base URL of an OpenAI-compatible server")
    p.add_argument(
        "--force", action="store_true", help="review even if the scenario changed since the run"
    )
    p.set_defaults(func=_cmd_review)

    p = sub.add_parser("export", help="write accepted samples for a trainer")
    p.add_argument("run_dir")
    p.add_argument(
        "--format",
        required=True,
        choices=["openai", "sharegpt", "preference", "openai-preference", "parquet", "hf"],
    )
    p.add_argument(
        "--alternate",
        action="store_true",
        help="strict user/assistant alternation: merge consecutive turns of one role, with names",
    )
    p.add_argument("-o", "--output", metavar="PATH", help="default: RUN_DIR/export/...")
    p.add_argument(
        "--weights",
        action="store_true",
        help="add a per-sample weight in [0, 1] (critic score x novelty); not for --format openai",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the novelty sample (default 0)")
    p.set_defaults(func=_cmd_export)

    p = sub.add_parser(
        "judge", help="run the gate over existing dialogues; measure it when they are labelled"
    )
    p.add_argument("file", help="JSONL: one dialogue a line ('turns' or 'messages')")
    p.add_argument("--scenario", required=True, help="the scenario whose gate judges them")
    p.add_argument("--out", help="run directory (default: runs/NAME-judge-TIMESTAMP)")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.add_argument("--concurrency", type=int, help="rows judged at once (default: run.concurrency)")
    p.add_argument(
        "--model",
        default=os.environ.get("ROLEGRAPH_MODEL") or None,
        help="model spec for every review role, as for run (scripted: the checks alone decide)",
    )
    p.add_argument("--base-url", default=os.environ.get("OPENAI_BASE_URL") or None)
    p.add_argument("--resume", action="store_true", help="continue an interrupted judge run")
    p.set_defaults(func=_cmd_judge)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; user mistakes end with one message and exit code 2, never a traceback."""
    args = build_parser().parse_args(argv)
    if getattr(args, "allow_path", None):  # every scenario this process (and its workers) reads
        from rolegraph.scenario.files import ALLOW_ENV

        known = [p for p in os.environ.get(ALLOW_ENV, "").split(os.pathsep) if p]
        os.environ[ALLOW_ENV] = os.pathsep.join([*known, *args.allow_path])
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
