"""Times the benchmark's search mix against one running Pépite: p50 per query over N rounds.

Run: `python3 benches/mix.py PORT ROUNDS`; it prints JSON with each query's p50, the mix's p50 and p99
(milliseconds) and the last answers, so that two builds serving copies of one data directory can be
compared for speed and for identical answers."""
import json, statistics, sys, time, urllib.request
port, rounds = int(sys.argv[1]), int(sys.argv[2])
MIX = [("one word", "carburants", None), ("three words", "recyclage batteries électriques", None),
       ("typo", "combustoin", None), ("prefix", "photovolt", None),
       ("with filters", "énergie solaire", {"stage": ["SME", "STARTUP"], "city": ["Marseille", "Aix-en-Provence"]}),
       ("English", "heat pumps", None), ("cross-language", "fuel analysis", None)]
Q = """query($q: String!, $f: SearchFilter) { search(query: $q, filter: $f, first: 10) {
    totalCount edges { score highlights { field snippet } node { __typename slug name } }
    facets { kind { value count } domain { value count } stage { value count } city { value count } } } }"""
def post(text, f):
    body = json.dumps({"query": Q, "variables": {"q": text, "f": f}}).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", body, {"content-type": "application/json"})
    t = time.perf_counter(); out = urllib.request.urlopen(req).read(); return time.perf_counter() - t, out
for label, text, f in MIX: post(text, f)
times = {label: [] for label, _, _ in MIX}; answers = {}
for _ in range(rounds):
    for label, text, f in MIX:
        dt, out = post(text, f); times[label].append(dt * 1000)
        answers[label] = json.loads(out)["data"]["search"]
allp = sorted(t for ts in times.values() for t in ts)
print(json.dumps({"p50": {k: round(statistics.median(v), 2) for k, v in times.items()},
                  "mix_p50": round(statistics.median(allp), 2), "mix_p99": round(allp[int(len(allp) * 0.99) - 1], 2),
                  "answers": answers}, ensure_ascii=False))
