#!/usr/bin/env python3
"""Times hostile requests against a running Pépite (release build) and reports its peak memory.

Usage: benches/hostile.py URL PID   (e.g. http://127.0.0.1:8000/graphql and the server's pid)
Each probe is sent 20 times; prints the median and the slowest answer time, the code answered,
and the server's peak resident memory (VmHWM) at the end.
"""
import json
import statistics
import sys
import time
import urllib.request


def bomb(levels, spreads):
    parts = ["query { ...F0 }"]
    for i in range(levels):
        body = " ".join([f"...F{i + 1}"] * spreads)
        parts.append(f"fragment F{i} on Query {{ {body} }}")
    parts.append(f"fragment F{levels} on Query {{ __typename }}")
    return " ".join(parts)


PROBES = {
    "fragment bomb 30 levels x 2": bomb(30, 2),
    "fragment bomb 8 levels x 10": bomb(8, 10),
    "fragment cycle": "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }",
    "10,000 aliases": "{" + " ".join(f"a{i}:__typename" for i in range(10_000)) + "}",
    "nested connections": "{ companies(first:100){ nodes{ technologies{ companies(first:100){ nodes{ technologies{ "
    "companies(first:100){ nodes{ name description technologies{name description} }}}}}}}}}",
    "300 aliased searches": "{"
    + " ".join(f's{i}: search(query: "energie", first: 100) {{ totalCount }}' for i in range(300))
    + "}",
}


def post(url, query):
    data = json.dumps({"query": query}).encode()
    request = urllib.request.Request(url, data, {"content-type": "application/json"})
    started = time.perf_counter()
    with urllib.request.urlopen(request) as response:
        body = json.loads(response.read())
    return (time.perf_counter() - started) * 1000, body["errors"][0]["extensions"]["code"]


def main():
    url, pid = sys.argv[1], sys.argv[2]
    for name, query in PROBES.items():
        times, code = [], None
        for _ in range(20):
            took, code = post(url, query)
            times.append(took)
        print(f"| {name} | {len(query)} B | {code} | {statistics.median(times):.2f} | {max(times):.2f} |")
    with open(f"/proc/{pid}/status") as status:
        peak = next(line for line in status if line.startswith("VmHWM")).split()[1]
    print(f"server peak resident memory: {int(peak) // 1024} MiB")


if __name__ == "__main__":
    main()
