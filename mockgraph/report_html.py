"""The HTML report's page and style, kept apart from `reports` so the renderer reads as code.

The page loads nothing: the style is inline and its Content-Security-Policy forbids scripts and
every fetch, so a report holding hostile payload values stays inert even if an escape were missed.
"""

CSS = """
:root { color-scheme: light dark; --fg: #1f2328; --muted: #59636e; --bg: #ffffff; --line: #d1d9e0;
  --head: #f6f8fa; --error: #cf222e; --error-bg: #ffebe9; --warning: #9a6700; --warning-bg: #fff8c5;
  --info: #59636e; --info-bg: #f6f8fa; --ok: #1a7f37; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e6edf3; --muted: #9198a1; --bg: #0d1117; --line: #3d444d; --head: #151b23;
    --error: #ff7b72; --error-bg: #3c1618; --warning: #d29922; --warning-bg: #3a2c0c;
    --info: #9198a1; --info-bg: #151b23; --ok: #3fb950; }
}
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 78rem; padding: 2rem 1.5rem 4rem; background: var(--bg); color: var(--fg);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
h1 { font-size: 1.6rem; margin: 0 0 .5rem; }
h2 { font: 600 1rem ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; margin: 0; overflow-wrap: anywhere; }
.summary { margin: 0 0 2rem; color: var(--muted); }
.badge { display: inline-block; margin-right: .5rem; padding: .1rem .6rem; border-radius: 1rem; font-weight: 600; }
.badge.error { color: var(--error); background: var(--error-bg); }
.badge.warning { color: var(--warning); background: var(--warning-bg); }
.badge.info { color: var(--info); background: var(--info-bg); }
section { margin: 0 0 1.5rem; padding: 1rem 1.25rem; overflow-x: auto; border: 1px solid var(--line); border-radius: .5rem; }
.context { margin: .25rem 0 .75rem; color: var(--muted); font-size: .9rem; }
.clean { margin: .5rem 0 0; color: var(--ok); }
table { width: 100%; border-collapse: collapse; font-size: .9rem; }
th, td { padding: .4rem .6rem; border-top: 1px solid var(--line); text-align: left; vertical-align: top; }
th { background: var(--head); font-weight: 600; }
td { overflow-wrap: break-word; }
td:nth-child(-n+2) { white-space: nowrap; }
td:nth-child(3), td:nth-child(4), td:nth-child(5) { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
tr.error td:first-child { color: var(--error); font-weight: 600; }
tr.warning td:first-child { color: var(--warning); font-weight: 600; }
tr.info td { color: var(--muted); }
tr.error { background: var(--error-bg); }
tr.warning { background: var(--warning-bg); }
section.failed { border-color: var(--error); }
.verdict { margin: .5rem 0; font-weight: 600; }
.verdict.error { color: var(--error); }
.verdict.warning { color: var(--warning); }
details.clean { margin: 0 0 1.5rem; color: var(--muted); }
details.clean summary { cursor: pointer; color: var(--ok); }
"""

# str.format fields: title, css, summary, sections (all but css already escaped).
PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>{title}</title>
<style>{css}</style>
</head>
<body>
<h1>{title}</h1>
<p class="summary">{summary}</p>
<main>
{sections}
</main>
</body>
</html>
"""
