"""Gate accuracy and cost on the labelled dev set: the deterministic layer alone.

    python -m bench.gate                    # through `rolegraph judge`, scripted critic
    python -m bench.gate --direct           # the checks + the critic's combine, no run dir
    python -m bench.gate --split heldout    # only the held-out rows (never tuned on)

The scripted critic model accepts every dialogue with 4/5 everywhere, so whatever is
refused was refused by the deterministic checks: this measures them, not a model.
CPU is the checks' own (`check_dialogue`), with cold caches, per 8 turns of dialogue.
"""

from __future__ import annotations

import argparse
import itertools
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEV = ROOT / "bench" / "data" / "gate_dev.jsonl"
SCENARIO = ROOT / "bench" / "data" / "gate.yaml"


def load(path: Path, split: str) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [r for r in rows if split == "all" or r.get("split", "dev") == split]


def _clear_caches() -> None:
    for module in list(sys.modules.values()):
        if getattr(module, "__name__", "").startswith("agents."):
            for name in dir(module):
                fn = getattr(module, name, None)
                if hasattr(fn, "cache_clear"):
                    fn.cache_clear()


def dialogues_of_8(rows: list[dict]) -> list[dict]:
    """8-turn dialogues: two consecutive 4-turn rows of one domain (same facts), joined."""
    out = []
    for a, b in itertools.pairwise(rows):
        if a["facts"] == b["facts"] and len(a["turns"]) + len(b["turns"]) == 8:
            out.append({**a, "turns": [*a["turns"], *b["turns"]]})
    return out


def check_cpu(rows: list[dict], repeat: int = 3, each: bool = False) -> float:
    """Milliseconds of CPU the deterministic checks take per 8-turn dialogue (best of 3).

    Caches start cold; with `each`, they are cleared before every dialogue too, as if each
    had facts of its own (a seeded scenario); otherwise dialogues that share facts share
    their parsing, as the samples of one run do.
    """
    from agents.checks import check_dialogue

    dialogues = dialogues_of_8(rows)
    best = float("inf")
    for _ in range(repeat):
        _clear_caches()
        spent = 0.0
        for row in dialogues:
            if each:
                _clear_caches()
            start = time.process_time()
            check_dialogue(row["turns"], facts=row["facts"], personas=row["personas"])
            spent += time.process_time() - start
        best = min(best, spent / len(dialogues) * 1000)
    return best


def direct(rows: list[dict]) -> dict:
    """The gate without a run: the checks' findings through the critic's `combine`."""

    from agents.checks import check_dialogue
    from agents.context import Criterion
    from agents.critic import combine
    from agents.critic_scoring import ModelReport
    from rolegraph.outputs.confusion import Judged, gate_stats, label_is_defect

    rubric = [Criterion(name=n, description=n) for n in ("faithfulness", "persona", "quality")]
    judged = []
    for line, row in enumerate(rows, 1):
        report = ModelReport.model_validate(
            {
                "rationale": "scripted",
                "scores": dict.fromkeys((c.name for c in rubric), 4),
                "evidence": [],
                "flagged_turns": [],
                "overall": 4,
                "decision": "accept",
            }
        )
        findings = check_dialogue(row["turns"], facts=row["facts"], personas=row["personas"])
        verdict = combine(report, findings, rubric, 3.5)
        blocking = [f for f in findings if f.severity == "error"]
        reason = "; ".join(f"{f.check}: {f.evidence}" for f in (blocking or findings)[:3])
        judged.append(
            Judged(
                row_id=row.get("id", str(line)),
                defect=bool(label_is_defect(row["label"])),
                refused=verdict.decision != "accept",
                kind=row.get("kind", ""),
                reason=reason,
                line=line,
            )
        )
    return gate_stats(judged).as_dict()


def via_judge(path: Path, split: str) -> dict:
    """`rolegraph judge` on the rows, scripted critic model; returns its --json figures."""
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "rows.jsonl"
        data.write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in load(path, split)),
            encoding="utf-8",
        )
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "rolegraph.cli",
                "judge",
                str(data),
                "--scenario",
                str(SCENARIO),
                "--model",
                "scripted",
                "--out",
                str(Path(tmp) / "run"),
                "--json",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if out.returncode != 0:
            raise SystemExit(f"rolegraph judge failed ({out.returncode}): {out.stderr.strip()}")
        return json.loads(out.stdout)["metrics"]


def table(figures: dict) -> str:
    lines = ["| kind | TPR (caught / defects) | FPR (refused / faithful) |", "|---|---|---|"]
    for kind, c in figures["per_kind"].items():
        defects, faithful = c["tp"] + c["fn"], c["fp"] + c["tn"]
        tpr = f"{c['tpr']:.2f} ({c['tp']}/{defects})" if defects else "-"
        fpr = f"{c['fpr']:.2f} ({c['fp']}/{faithful})" if faithful else "-"
        lines.append(f"| {kind} | {tpr} | {fpr} |")
    conf = figures["confusion"]
    lines.append(
        f"| **all** | **{figures['tpr']:.2f}** ({conf['tp']}/{conf['tp'] + conf['fn']}) | "
        f"**{figures['fpr']:.2f}** ({conf['fp']}/{conf['fp'] + conf['tn']}) |"
    )
    lines.append("")
    lines.append(f"Balanced accuracy **{figures['balanced_accuracy']:.3f}**.")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEV)
    parser.add_argument(
        "--split", default="all", help="dev, heldout, heldout2 ... heldout13, or all (default)"
    )
    parser.add_argument("--direct", action="store_true", help="skip `rolegraph judge`")
    parser.add_argument("--wrong", action="store_true", help="list the wrong rows")
    args = parser.parse_args()
    rows = load(args.data, args.split)
    figures = direct(rows) if args.direct else via_judge(args.data, args.split)
    cpu, cpu_each = check_cpu(rows), check_cpu(rows, each=True)
    print(f"{len(rows)} rows ({args.split}), {'direct' if args.direct else 'rolegraph judge'}")
    print(table(figures))
    print(
        f"\nChecks: {cpu:.2f} ms CPU per 8-turn dialogue (facts shared within a domain, as in "
        f"a run); {cpu_each:.2f} ms with every dialogue's facts parsed afresh (best of 3)."
    )
    if args.wrong:
        for w in figures["wrong"]:
            print(f"  {w['id']:<16} {w['kind']:<9} {w['label']:<10} {w['reason']}")


if __name__ == "__main__":
    main()
