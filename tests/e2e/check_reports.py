#!/usr/bin/env python3
"""Checks sluice's report outputs for tests/e2e/test_reports.sh. Prints one line per problem and
exits 1 if there was any.

  check_reports.py dom DUMPED_DOM RUN_JSON     the Chromium DOM dump of a report (with
                                               check_report_dom.js) against the --json summary
  check_reports.py trace TRACE_JSON RUN_JSON   Chrome trace event format
  check_reports.py otlp OTLP_JSON RUN_JSON     one ExportTraceServiceRequest (OTLP/JSON)
"""
import html
import json
import re
import sys

problems = []


def check(cond, what):
    if not cond:
        problems.append(what)


def dom(dump_path, run):
    text = open(dump_path, encoding="utf-8").read()
    found = re.findall(r'<pre id="sluice-check">(\{.*?)</pre>', text, re.S)
    check(bool(found), "the check script did not run (no #sluice-check in the DOM)")
    if not found:
        return
    got = json.loads(html.unescape(found[-1]))
    names = [s["name"] for s in run["stages"]]
    bars = {b["stage"]: b for b in got["bars"]}
    check(len(got["bars"]) == len(names), f"{len(got['bars'])} bars for {len(names)} stages")
    for s in run["stages"]:
        b = bars.get(s["name"])
        check(b is not None, f"stage {s['name']} has no bar")
        if b and s.get("started_ms") is not None:
            check(b["width"] > 0 and b["height"] > 0, f"bar of {s['name']} does not render ({b['width']}x{b['height']})")
        if b and s.get("kind") == "llm" and s.get("started_ms") is not None:
            check(b["phases"] > 0, f"LLM stage {s['name']} shows no phases")
    crit = set(run["critical_path"])
    for name, b in bars.items():
        check(b["critical"] == (name in crit), f"bar {name}: critical={b['critical']}, the JSON says {name in crit}")
        check(b["crit_class"] == (name in crit), f"bar {name}: class crit={b['crit_class']}")
    t = got["totals"]
    check(int(t["durationMs"]) == run["duration_ms"], f"duration {t['durationMs']} != {run['duration_ms']}")
    check(int(t["criticalPathMs"]) == run["critical_path_ms"], "critical path ms differs from the JSON")
    check(int(t["stageTimeMs"]) == run["stage_time_ms"], "stage time differs from the JSON")
    check(int(t["stages"]) == len(names), "stage count differs")
    check(int(t["cacheHits"]) == run["cache_hits"], "cache hits differ")
    check(t["criticalPath"] == ",".join(run["critical_path"]), "critical path differs")
    check(t["status"] == run["status"], "status differs")
    if "llm" in run:
        check(abs(float(t["costUsd"]) - run["llm"]["cost_usd"]) < 1e-9, "cost differs from the JSON")
        check(int(t["tokensIn"]) == run["llm"]["tokens_in"], "tokens in differ")
        check(int(t["aiWallMs"]) == run["llm"]["ai_wall_ms"], "AI wall time differs")
        # One row per call; here no stage repairs or falls back, so one per LLM stage.
        check(got["llm_rows"] == run["llm"]["stages"], "LLM table rows differ")
    check(got["rows"] == len(names), "stage table rows differ")
    check(got["scripts_external"] == 0, "the report loads external scripts or styles")
    w = got["whatif"]
    check(w is not None and int(w["simulatedMs"]) == run["what_if"]["simulated_ms"], "what-if differs from the JSON")
    print(json.dumps({"render_ms": got["ms"], "notify": got["notify"], "compare": got["compare"],
                      "budget_rows": got["budget_rows"]}))


def trace(path, run):
    j = json.load(open(path, encoding="utf-8"))
    check(isinstance(j, dict) and isinstance(j.get("traceEvents"), list), "no traceEvents array")
    events = j.get("traceEvents", [])
    phs = {"X", "B", "E", "i", "I", "C", "M", "b", "e", "n", "s", "t", "f", "P", "O", "N", "D"}
    stages = {}
    for e in events:
        check(isinstance(e.get("name"), str), f"event without a name: {e}")
        check(e.get("ph") in phs, f"unknown phase {e.get('ph')}")
        check(isinstance(e.get("pid"), int), f"pid not an int: {e}")
        if e["ph"] == "X":
            check(isinstance(e.get("ts"), (int, float)) and e["ts"] >= 0, f"bad ts: {e}")
            check(isinstance(e.get("dur"), (int, float)) and e["dur"] >= 0, f"bad dur: {e}")
            check(isinstance(e.get("tid"), int), f"tid not an int: {e}")
            if "stage" in e.get("cat", "").split(","):
                check(e["name"] not in stages, f"stage {e['name']} twice")
                stages[e["name"]] = e
        if e["ph"] == "C":
            check(isinstance(e.get("args"), dict) and all(isinstance(v, (int, float)) for v in e["args"].values()),
                  f"counter args not numbers: {e}")
        if e["ph"] == "M" and e["name"] in ("process_name", "thread_name"):
            check(isinstance(e.get("args", {}).get("name"), str), f"metadata without args.name: {e}")
    for s in run["stages"]:
        if s.get("started_ms") is not None:
            check(s["name"] in stages, f"stage {s['name']} missing from the trace")
    # Phases nest inside their stage on the same thread; stages on one thread never overlap.
    by_tid = {}
    for e in stages.values():
        by_tid.setdefault(e["tid"], []).append(e)
    for tid, es in by_tid.items():
        es.sort(key=lambda e: e["ts"])
        for a, b in zip(es, es[1:]):
            check(a["ts"] + a["dur"] <= b["ts"] + 1000, f"stages {a['name']} and {b['name']} overlap on slot {tid}")
    for e in events:
        if e.get("cat") == "llm_phase":
            parents = [p for p in by_tid.get(e["tid"], []) if p["ts"] <= e["ts"] and e["ts"] + e["dur"] <= p["ts"] + p["dur"]]
            check(parents, f"phase {e['name']} at {e['ts']} is not inside a stage")
    check(any(e["ph"] == "C" and e["name"] == "running stages" for e in events), "no running-stages counter")


def otlp(path, run):
    lines = [l for l in open(path, encoding="utf-8").read().splitlines() if l.strip()]
    check(len(lines) >= 1, "no OTLP line")
    spans = []
    for line in lines:
        req = json.loads(line)
        for rs in req["resourceSpans"]:
            attrs = {a["key"]: a["value"] for a in rs["resource"]["attributes"]}
            check(attrs.get("service.name") == {"stringValue": "sluice"}, "resource lacks service.name")
            for ss in rs["scopeSpans"]:
                spans += ss["spans"]
    ran = [s for s in run["stages"] if s.get("started_ms") is not None]
    check(len(spans) == len(ran) + 1, f"{len(spans)} spans for {len(ran)} stages and the run")
    root = spans[0]
    for s in spans:
        check(re.fullmatch(r"[0-9a-f]{32}", s["traceId"]) is not None, "bad traceId")
        check(re.fullmatch(r"[0-9a-f]{16}", s["spanId"]) is not None, "bad spanId")
        check(s["traceId"] == root["traceId"], "spans of one run in two traces")
        check(int(s["endTimeUnixNano"]) >= int(s["startTimeUnixNano"]), "span ends before it starts")
        a = {x["key"]: x["value"] for x in s["attributes"]}
        check(a.get("cicd.pipeline.run.id") == {"stringValue": run["run_id"]}, "no cicd.pipeline.run.id")
        if s is not root:
            check(s.get("parentSpanId") == root["spanId"], "stage span not under the run span")
            check("cicd.pipeline.task.name" in a and "cicd.pipeline.task.run.result" in a, "no cicd.pipeline.task.*")
    llm = [x["name"] for x in run["stages"] if x["kind"] == "llm" and x.get("started_ms") is not None]
    for s in spans:
        a = {x["key"]: x["value"] for x in s["attributes"]}
        if s["name"] in llm:
            check("gen_ai.request.model" in a and "gen_ai.usage.input_tokens" in a, f"{s['name']}: no gen_ai.*")


mode, path, run_json = sys.argv[1:4]
run = json.load(open(run_json, encoding="utf-8"))
{"dom": dom, "trace": trace, "otlp": otlp}[mode](path, run)
for p in problems[:40]:
    print("problem:", p)
sys.exit(1 if problems else 0)
