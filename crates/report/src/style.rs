//! The one stylesheet, inlined into every page (no external fonts: system font stacks only).

pub(crate) const CSS: &str = r#"
:root{--bg:#f6f7f9;--card:#fff;--ink:#1d232b;--mute:#66707c;--line:#dde2e8;--good:#1f8a4c;--warn:#b7791f;--bad:#c53030;--accent:#2b6cb0;--code:#f3f5f8}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif}
main{max-width:1180px;margin:0 auto;padding:16px 20px 48px}
h1{font-size:22px;margin:0 0 8px}h2{font-size:17px;margin:18px 0 8px}h4{margin:10px 0 4px;font-size:13px;color:var(--mute);text-transform:uppercase;letter-spacing:.04em}
code,pre{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:12.5px}
pre{background:var(--code);border:1px solid var(--line);border-radius:6px;padding:8px 10px;overflow:auto;max-height:520px;white-space:pre-wrap;word-break:break-word;margin:4px 0}
pre.text{white-space:pre-wrap}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:12px 16px;margin:12px 0;box-shadow:0 1px 2px rgba(0,0,0,.04)}
details>summary{cursor:pointer;font-weight:600}
.badges{display:flex;flex-wrap:wrap;gap:6px;margin-bottom:8px}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;background:#e9edf2;color:var(--ink)}
.badge.good{background:#def5e6;color:var(--good)}.badge.warn{background:#fdf1dc;color:var(--warn)}.badge.bad{background:#fde2e2;color:var(--bad)}.badge.answer{background:#dbe9fb;color:var(--accent)}.badge.muted{color:var(--mute)}
.facts{display:grid;grid-template-columns:repeat(auto-fit,minmax(160px,1fr));gap:8px;margin:10px 0}
.fact{border:1px solid var(--line);border-radius:6px;padding:6px 10px}.fact .label{font-size:11px;color:var(--mute);text-transform:uppercase}.fact .value{font-weight:600;word-break:break-word}
.tables{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}
table{border-collapse:collapse;font-size:13px}caption{text-align:left;font-weight:600;padding:4px 0}
th,td{border-bottom:1px solid var(--line);padding:3px 8px;text-align:left;vertical-align:top}
table.kv th{font-weight:normal;color:var(--mute)}table.kv td{text-align:right;font-variant-numeric:tabular-nums}
table.grid{width:100%}table.grid th{background:#f0f3f6}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.stepnav{position:sticky;top:0;z-index:2;background:var(--card);border-top:1px solid var(--line);padding:6px 0;margin-top:10px;display:flex;flex-wrap:wrap;gap:4px}
.chip{display:inline-block;min-width:26px;text-align:center;padding:1px 5px;border-radius:4px;font-size:12px;text-decoration:none;color:#fff;background:#8a96a3}
.chip.good{background:var(--good)}.chip.bad{background:var(--bad)}.chip.warn{background:var(--warn)}.chip.answer{background:var(--accent)}
.step{border-left:4px solid #8a96a3}.step.good{border-left-color:var(--good)}.step.bad{border-left-color:var(--bad)}.step.warn{border-left-color:var(--warn)}.step.answer{border-left-color:var(--accent)}
.step>summary{display:flex;flex-wrap:wrap;gap:8px;align-items:baseline}
.step .idx{font-weight:700}.step .purpose{flex:1 1 300px;font-weight:500}.step .meta{color:var(--mute);font-weight:normal;font-size:12px}
.prose{white-space:pre-wrap}
.error{background:#fff5f5;border:1px solid #f5b5b5;border-left:4px solid var(--bad);border-radius:6px;padding:6px 10px;margin:6px 0;color:#7b1d1d}
.error pre{background:#fff;border-color:#f5c6c6}
.banner{margin:10px 0}
.submitted{background:#ebf4ff;border-left:4px solid var(--accent);padding:6px 10px;border-radius:6px;margin:6px 0}
.reflection{border-left:4px solid #8a96a3;background:#f8f9fb;padding:6px 10px;margin:6px 0;border-radius:6px}.reflection.good{border-left-color:var(--good)}.reflection.warn{border-left-color:var(--warn);background:#fffaf0}
.thumbs{display:flex;flex-wrap:wrap;gap:10px}
figure{margin:0;max-width:340px}figcaption{font-size:12px;color:var(--mute)}
img.thumb{max-width:320px;max-height:240px;border:1px solid var(--line);border-radius:4px;cursor:zoom-in;background:#fff}
img.thumb.small{max-width:160px;max-height:120px}
img.thumb:focus{max-width:none;max-height:none;position:relative;z-index:3;cursor:zoom-out;outline:2px solid var(--accent)}
.qa{border:1px solid var(--line);border-radius:6px;padding:6px 10px;margin:6px 0}.qa .q,.qa .a{white-space:pre-wrap}
.missing,.note{color:var(--mute);font-style:italic}
.final.good{border-left:6px solid var(--good)}.final.bad{border-left:6px solid var(--bad)}.final.warn{border-left:6px solid var(--warn)}
.code .k{color:#8f2dbd;font-weight:600}.code .b{color:#1f6fb2}.code .s{color:#2f7d32}.code .c{color:#7a8591;font-style:italic}.code .n{color:#b45309}.code .d{color:#a4508b}.code .f{color:#1d4ed8;font-weight:600}
.st-verified{color:var(--good)}.st-flagged{color:var(--bad)}
nav.top a{margin-right:12px}
.bar{display:inline-block;height:8px;background:var(--accent);border-radius:2px;vertical-align:middle}
svg.radar text{font:11px system-ui,"DejaVu Sans",sans-serif;fill:var(--ink)}
.legend span{display:inline-block;margin-right:14px}.legend i{display:inline-block;width:12px;height:12px;border-radius:2px;margin-right:4px;vertical-align:-1px}
"#;
