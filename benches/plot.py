#!/usr/bin/env python3
"""Draws search latency against corpus size from the benchmark's Markdown reports, as SVG.

    cargo bench --bench pepite -- --companies 10000,100000,1000000 > report.md
    python3 benches/plot.py report.md > benches/latency.svg

Reads every "## N companies" section of the reports given (later ones win), and plots the p50
(solid) and p99 (dashed) of each engine's search mix at concurrency 1, on log-log axes.
"""

import math
import re
import sys

SERIES = [
    ("search mix without facets, HTTP, concurrency 1", "Pépite, HTTP + GraphQL, no facets", "#1f6feb"),
    ("search mix with four facets, HTTP, concurrency 1", "Pépite, HTTP + GraphQL, four facets", "#8250df"),
    ("search mix, raw tantivy in-process", "Pépite's index in-process", "#2da44e"),
    ("PostgreSQL FTS (GIN, ts_rank), concurrency 1", "PostgreSQL FTS", "#cf222e"),
    ("SQLite FTS5 (bm25), concurrency 1", "SQLite FTS5", "#bf8700"),
]


def read(paths):
    """{row name: {companies: (p50, p99)}}"""
    found = {}
    for path in paths:
        size = None
        with open(path, encoding="utf-8") as f:
            for line in f:
                heading = re.match(r"^## (\d+) companies\s*$", line)
                if heading:
                    size = int(heading.group(1))
                    continue
                if size is None or not line.startswith("|"):
                    continue
                cells = [c.strip() for c in line.strip().strip("|").split("|")]
                if len(cells) >= 4 and cells[0] in dict((s[0], s) for s in SERIES):
                    try:
                        found.setdefault(cells[0], {})[size] = (float(cells[1]), float(cells[3]))
                    except ValueError:
                        pass
    return found


def svg(found):
    width, height, left, right, top, bottom = 760, 460, 70, 250, 30, 50
    sizes = sorted({n for rows in found.values() for n in rows})
    values = [v for rows in found.values() for pair in rows.values() for v in pair if v > 0]
    if not sizes or not values:
        sys.exit("no benchmark rows found")
    lo_x, hi_x = math.log10(min(sizes)), math.log10(max(sizes))
    if lo_x == hi_x:
        lo_x, hi_x = lo_x - 0.5, hi_x + 0.5
    lo_y, hi_y = math.floor(math.log10(min(values))), math.ceil(math.log10(max(values)))
    x = lambda n: left + (math.log10(n) - lo_x) / (hi_x - lo_x) * (width - left - right)
    y = lambda ms: height - bottom - (math.log10(ms) - lo_y) / (hi_y - lo_y) * (height - top - bottom)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
    ]
    for e in range(lo_y, hi_y + 1):
        ms = 10**e
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y(ms):.1f}" y2="{y(ms):.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{left - 8}" y="{y(ms) + 4:.1f}" text-anchor="end">{ms:g} ms</text>')
    for n in sizes:
        out.append(f'<line x1="{x(n):.1f}" x2="{x(n):.1f}" y1="{top}" y2="{height - bottom}" stroke="#ddd"/>')
        out.append(f'<text x="{x(n):.1f}" y="{height - bottom + 18}" text-anchor="middle">{n:,}</text>')
    out.append(
        f'<text x="{(left + width - right) / 2:.0f}" y="{height - 12}" text-anchor="middle">companies</text>'
    )
    legend = top
    for name, label, colour in SERIES:
        rows = found.get(name)
        if not rows:
            continue
        for index, dash in ((0, ""), (1, ' stroke-dasharray="5,4"')):
            points = " ".join(f"{x(n):.1f},{y(rows[n][index]):.1f}" for n in sorted(rows) if rows[n][index] > 0)
            out.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>')
        for n in sorted(rows):
            out.append(f'<circle cx="{x(n):.1f}" cy="{y(rows[n][0]):.1f}" r="3" fill="{colour}"/>')
        out.append(f'<line x1="{width - right + 15}" x2="{width - right + 40}" y1="{legend}" y2="{legend}" '
                   f'stroke="{colour}" stroke-width="2"/>')
        out.append(f'<text x="{width - right + 46}" y="{legend + 4}">{label}</text>')
        legend += 20
    out.append(f'<text x="{width - right + 15}" y="{legend + 10}">solid: p50, dashed: p99</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    sys.stdout.write(svg(read(sys.argv[1:])))
