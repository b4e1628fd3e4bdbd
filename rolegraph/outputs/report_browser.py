"""The report's sample browser: the compact samples it reads, its markup, script and the page's CSS.

The page embeds one compact form per record (short keys, speakers as indexes); the inline
script pages through them 50 at a time and builds a sample's attempts only when it is opened.
"""

from __future__ import annotations

from typing import Any

from agents.tools import call_lines
from rolegraph.outputs.tool_records import record_turns

VERDICT_KEYS = {"decision": "d", "model_decision": "md", "overall": "o", "scores": "sc"}
VERDICT_KEYS |= {"rationale": "ra", "evidence": "ev", "flagged_turns": "fl"}


def _verdict(v: dict[str, Any] | None) -> dict[str, Any]:
    if not v:
        return {}
    out = {short: v.get(key) for key, short in VERDICT_KEYS.items()}
    out["ck"] = [
        [c.get("check"), c.get("turn"), c.get("criterion"), c.get("message"), c.get("evidence")]
        for c in v.get("checks") or []
    ]
    if v.get("model_scores") and v.get("model_scores") != v.get("scores"):
        out["ms"] = v["model_scores"]
    return out


def _speaker_of(message: dict[str, Any], record: dict[str, Any], speakers: list[str]) -> str:
    """Which scenario speaker said a chat message (exports keep only user/assistant)."""
    if message.get("name"):
        return str(message["name"])
    personas = record.get("personas") or {}
    system = next((m["content"] for m in record.get("messages", []) if m["role"] == "system"), "")
    trained = next(
        (s for s, p in personas.items() if f"You are {p.get('name')}," in system),
        speakers[1] if len(speakers) > 1 else message["role"],
    )
    if message["role"] == "assistant":
        return trained
    others = [s for s in personas if s != trained]
    return others[0] if len(others) == 1 else message["role"]


def compact_sample(record: dict[str, Any], speakers: list[str]) -> dict[str, Any]:
    """The little the browser needs of one record; speakers become indexes into `speakers`."""

    def index(name: str) -> int:
        if name not in speakers:
            speakers.append(name)
        return speakers.index(name)

    attempts = record.get("attempts") or []
    partial = record.get("turns") if isinstance(record.get("turns"), list) else None
    if partial is not None:  # a failed sample keeps the turns it had when it failed
        attempts = [{"turns": partial, "verdict": None}]
    elif not attempts and record.get("messages"):  # accepted at once: its dialogue is the draft
        turns = record_turns(record, lambda m: _speaker_of(m, record, speakers))
        attempts = [{"turns": turns, "verdict": record.get("verdict")}]
    usage = record.get("usage") or {}
    sample = {
        "id": str(record.get("sample_id", "?")),
        "s": record.get("status"),
        "p": {k: v.get("name", "?") for k, v in (record.get("personas") or {}).items()},
        "c": record.get("conditions") or {},
        "r": record.get("revisions") or 0,
        "n": len(partial) if partial is not None else record.get("turns") or 0,
        "o": (record.get("verdict") or {}).get("overall"),
        "t": sum(int(u.get("total_tokens", 0)) for u in usage.values()),
        "stop": record.get("stop_reason"),
        "a": [
            {
                "turns": [
                    [index(t["speaker"]), t["text"], *([call_lines(t)] if t.get("calls") else [])]
                    for t in a.get("turns") or []
                ],
                "v": _verdict(a.get("verdict")),
            }
            for a in attempts
        ],
    }
    why = record.get("reasons") or ([record["error"]] if record.get("error") else [])
    if why:
        sample["why"] = why
    return sample


REPORT_CSS = """
section,#rg-detail{scroll-margin-top:44px}
nav{position:sticky;top:0;background:#fff;padding:6px 0;border-bottom:1px solid #ddd;z-index:2}
.cards{display:flex;gap:12px;margin:8px 0}.card{border-radius:8px;padding:8px 16px;color:#fff;min-width:90px}
.card b{display:block;font-size:22px}.card.accepted{background:#3f9b4f}.card.rejected{background:#d0493f}.card.failed{background:#8a8a8a}
.plots{display:flex;flex-wrap:wrap;gap:18px;align-items:flex-start}.plot{background:#fafafa;border:1px solid #eee;border-radius:6px;padding:4px}
.muted{color:#777}.legend .dot{display:inline-block;width:10px;height:10px;border-radius:5px;margin:0 4px 0 10px}
.controls{display:flex;gap:10px;align-items:center;margin:8px 0}#rg-list tr{cursor:pointer}#rg-list tr:hover{background:#f2f0ff}
#rg-list tr.open{background:#e6e2ff}.badge{border-radius:4px;padding:0 6px;color:#fff;font-size:12px}
.badge.accepted{background:#3f9b4f}.badge.rejected{background:#d0493f}.badge.failed{background:#8a8a8a}
#rg-detail{border:1px solid #ddd;border-radius:8px;padding:10px 16px;margin-top:12px}#rg-detail:empty{display:none}
.attempt{border-left:4px solid #ccc;padding:4px 12px;margin:10px 0}.attempt.accept{border-color:#3f9b4f}
.attempt.reject{border-color:#d0493f}.attempt.revise{border-color:#e0a030}
.turn .call{font:12px monospace;color:#555;margin-left:8px}.turn{margin:3px 0}.turn .who{font-weight:600;margin-right:6px}.turn.flagged{background:#fff4e0}
del{background:#fde2e1;text-decoration:line-through}ins{background:#e3f5e1;text-decoration:none}
.why{color:#a33}
"""

SAMPLE_BROWSER = """
<div class="controls"><label>status <select id="rg-status"><option value="all">all</option>
<option>accepted</option><option>rejected</option><option>failed</option></select></label>
<label>search <input id="rg-search" placeholder="sample id, persona, condition, text"></label>
<button id="rg-prev">◀ previous</button><span id="rg-page"></span><button id="rg-next">next ▶</button></div>
<table><thead><tr><th>sample</th><th>status</th><th>personas</th><th>conditions</th>
<th>revisions</th><th>turns</th><th>score</th><th>tokens</th></tr></thead><tbody id="rg-list"></tbody></table>
<div id="rg-detail"></div>
"""

BROWSER_JS = r"""
(function(){
const D = JSON.parse(document.getElementById('rg-data').textContent);
const S = D.samples, SP = D.speakers, PER = 50;
let view = S, page = 0;
const $ = id => document.getElementById(id);
function h(tag, props, ...kids){ const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) { if (k === 'cls') e.className = v; else e.setAttribute(k, v); }
  for (const k of kids.flat()) e.append(k instanceof Node ? k : document.createTextNode(String(k ?? '')));
  return e; }
const kv = o => Object.entries(o || {}).map(([k, v]) => k + ': ' + v).join('; ');
const hay = s => s._q || (s._q = (s.id + ' ' + kv(s.p) + ' ' + kv(s.c) + ' ' +
  s.a.map(a => a.turns.map(t => t[1]).join(' ')).join(' ') + ' ' + (s.why || []).join(' ')).toLowerCase());
function filter(){ const st = $('rg-status').value, q = $('rg-search').value.trim().toLowerCase();
  view = S.filter(s => (st === 'all' || s.s === st) && (!q || hay(s).includes(q))); page = 0; draw(); }
function draw(){ const pages = Math.max(1, Math.ceil(view.length / PER)); page = Math.min(page, pages - 1);
  $('rg-page').textContent = ' page ' + (page + 1) + ' of ' + pages + ' (' + view.length + ' samples) ';
  $('rg-list').replaceChildren(...view.slice(page * PER, page * PER + PER).map(s => {
    const tr = h('tr', {'data-id': s.id}, h('td', {}, s.id), h('td', {}, h('span', {cls: 'badge ' + s.s}, s.s)),
      h('td', {}, kv(s.p)), h('td', {}, kv(s.c)), h('td', {}, s.r), h('td', {}, s.n),
      h('td', {}, s.o == null ? '' : (+s.o).toFixed(2)), h('td', {}, s.t));
    tr.addEventListener('click', () => show(s)); return tr; })); }
function words(a, b){ // word-level diff by longest common subsequence
  const x = a.split(/(\s+)/), y = b.split(/(\s+)/), n = x.length, m = y.length;
  const L = Array.from({length: n + 1}, () => new Uint16Array(m + 1));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--)
    L[i][j] = x[i] === y[j] ? L[i + 1][j + 1] + 1 : Math.max(L[i + 1][j], L[i][j + 1]);
  const ops = []; let i = 0, j = 0;
  const put = (op, w) => { const last = ops[ops.length - 1]; if (last && last[0] === op) last[1] += w; else ops.push([op, w]); };
  while (i < n || j < m) {
    if (i < n && j < m && x[i] === y[j]) { put('', x[i]); i++; j++; }
    else if (j < m && (i >= n || L[i][j + 1] >= L[i + 1][j])) put('ins', y[j++]);
    else put('del', x[i++]); }
  return ops.map(([op, w]) => op ? h(op, {}, w) : w); }
function verdict(v){ if (!v || !v.d) return h('p', {cls: 'muted'}, 'no verdict');
  const crit = Object.keys(v.sc || {});
  const scores = h('table', {cls: 'scores'}, h('tr', {}, h('th', {}, 'criterion'), h('th', {}, 'score'), h('th', {}, 'model said')),
    crit.map(c => h('tr', {}, h('td', {}, c), h('td', {}, v.sc[c]), h('td', {}, v.ms ? v.ms[c] : v.sc[c]))));
  const checks = (v.ck || []).length ? h('table', {cls: 'checks'},
    h('tr', {}, ['check', 'turn', 'criterion', 'message', 'evidence'].map(x => h('th', {}, x))),
    v.ck.map(c => h('tr', {}, c.map(x => h('td', {}, x))))) : h('p', {cls: 'muted'}, 'no check fired');
  return h('div', {cls: 'verdict'},
    h('p', {}, h('b', {}, 'decision: ' + v.d), ' (model said ' + v.md + ') · overall ' + v.o),
    h('p', {}, 'rationale: ', v.ra), (v.ev || []).length ? h('ul', {}, v.ev.map(e => h('li', {}, '“' + e + '”'))) : '',
    scores, h('h4', {}, 'checks'), checks); }
function show(s){ document.querySelectorAll('#rg-list tr.open').forEach(r => r.classList.remove('open'));
  const row = document.querySelector('#rg-list tr[data-id="' + s.id + '"]'); if (row) row.classList.add('open');
  const parts = [h('h3', {}, 'Sample ' + s.id + ' · ' + s.s),
    h('p', {}, kv(s.p), ' · ', kv(s.c), ' · stop: ' + (s.stop || '-') + ' · tokens: ' + s.t)];
  if (s.why) parts.push(h('p', {cls: 'why'}, 'reasons: ' + s.why.join('; ')));
  s.a.forEach((a, k) => { const prev = k ? s.a[k - 1].turns : null, fl = new Set(a.v.fl || []);
    const turns = a.turns.map((t, i) => { const old = prev && prev[i] ? prev[i][1] : null;
      const text = old !== null && old !== t[1] ? words(old, t[1]) : [t[1]];
      const calls = (t[2] || []).map(c => h('div', {cls: 'call'}, c.trim()));
      return h('div', {cls: 'turn' + (fl.has(i) ? ' flagged' : '')}, ...calls, h('span', {cls: 'who'}, (SP[t[0]] ?? t[0]) + ':'), ...text); });
    parts.push(h('div', {cls: 'attempt ' + (a.v.d || '')}, h('h4', {}, a.v.d ? 'Attempt ' + (k + 1) + (k ? ' (revision ' + k + ', changes marked)' : ' (draft)') : 'Turns before it failed'),
      turns, verdict(a.v))); });
  if (!s.a.length) parts.push(h('p', {cls: 'muted'}, 'no attempt: the sample failed before the critic'));
  $('rg-detail').replaceChildren(...parts); }
function open(id){ const i = S.findIndex(s => s.id === id); if (i < 0) return;
  $('rg-status').value = 'all'; $('rg-search').value = ''; view = S; page = Math.floor(i / PER); draw(); show(S[i]);
  $('rg-detail').scrollIntoView(); }
$('rg-status').addEventListener('change', filter);
$('rg-search').addEventListener('input', filter);
$('rg-prev').addEventListener('click', () => { if (page > 0) { page--; draw(); } });
$('rg-next').addEventListener('click', () => { if ((page + 1) * PER < view.length) { page++; draw(); } });
window.addEventListener('hashchange', () => { const m = location.hash.match(/^#sample-(.+)$/); if (m) open(decodeURIComponent(m[1])); });
draw();
const m = location.hash.match(/^#sample-(.+)$/); if (m) open(decodeURIComponent(m[1]));
})();
"""
