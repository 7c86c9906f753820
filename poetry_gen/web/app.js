// The page of `poetry-gen serve`: reads the form, calls the JSON API, draws the poems with the checker's
// overlay. No library, nothing loaded from elsewhere.
"use strict";

const HINTS = {
  acrostic: ["Heads, one per line", "春夏秋冬"],
  theme: ["A theme, in words or a request", "写一首关于秋天思乡的七言绝句"],
  start: ["The first line (or more), kept as written", "床前明月光"],
  free: ["", ""],
  ci: ["A theme (or nothing), in words or a request", ""],
  couplet: ["The 上联 (4 to 11 characters; ， or 、 may pause inside)", "春回大地千山秀"],
};
const TEXT_FIELD = {acrostic: "acrostic", theme: "theme", start: "start", ci: "theme", couplet: "first"};
const NO_SERVER = "The server did not answer. Is `poetry-gen serve` still running?";
// `revise` writes again a line of a shi (lines of 5 or 7 characters) or of a ci (in its tune; a 叠句 is
// written again with the line it repeats); a 下联 it does not.
const MODE_NOTES = {
  ci: "A ci is laid out by its lines and 片, with the tune's pattern above each character. ↻ writes a line " +
      "again in the tune (a repeated line, 叠句, follows the line it repeats).",
  couplet: "Candidate 下联 for your 上联, best first. Write again for others.",
};
const LINE_MARKS = "，。、？！；：";

const $ = (id) => document.getElementById(id);
// What is shown: the last answer's candidates, each {poem, traditional, check} as the API gives them.
let shown = [];
let lastRequest = null;
let tunes = {};  // name → the tune table's row (GET /api/info)

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("data-")) node.setAttribute(key, value);
    else node[key] = value;
  }
  for (const child of children) node.append(child);
  return node;
}

async function api(endpoint, body) {
  let response;
  try {
    response = await fetch(`/api/${endpoint}`, {
      method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body),
    });
  } catch (err) {
    throw new Error(NO_SERVER);
  }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.error || `The server answered ${response.status}.`);
  return data;
}

function showError(message) {
  showIn($("error"), message);
}

function showIn(box, message) {
  box.textContent = message || "";
  box.hidden = !message;
}

function mode() {
  return document.querySelector('input[name="mode"]:checked').value;
}

// Whether the mode writes a shi, whose rhyme group (平水韵) and form the form's pickers choose.
function shiMode() {
  return !["ci", "couplet"].includes(mode());
}

// The sampling fields of the form, as /api/generate, /api/couplet and /api/revise take them.
function samplingFields() {
  const body = {tones: $("tones").value, temperature: Number($("temperature").value)};
  const rhyme = $("rhyme").value;
  if (shiMode() && rhyme === "none") body.rhyme = false;
  else if (shiMode() && rhyme) body.rhyme = rhyme;
  if ($("seed").value !== "") body.seed = Number($("seed").value);
  return body;
}

// [endpoint, body] of the request the form describes.
function generateRequest() {
  const body = {...samplingFields(), num: Number($("num").value)};
  const field = TEXT_FIELD[mode()];
  if (field && (mode() !== "ci" || $("text").value.trim())) body[field] = $("text").value;
  if (mode() === "ci") body.form = $("tune").value;
  else if (shiMode() && $("form").value) body.form = $("form").value;
  return [mode() === "couplet" ? "couplet" : "generate", body];
}

function candidates(data) {
  return data.poems.map((poem, i) => ({poem, traditional: data.traditional[i], check: data.checks[i]}));
}

async function generate(event) {
  event.preventDefault();
  showError("");
  showIn($("warning"), "");
  const button = $("generate");
  button.disabled = true;
  $("status").textContent = "writing…";
  const started = performance.now();
  try {
    const [endpoint, body] = generateRequest();
    lastRequest = body;
    const data = await api(endpoint, body);
    shown = candidates(data);
    showIn($("warning"), (data.warnings || []).join(" "));
    render();
    $("status").textContent = `written in ${Math.round(performance.now() - started)} ms`;
  } catch (err) {
    $("status").textContent = "";
    showError(err.message);
  } finally {
    button.disabled = false;
  }
}

async function reviseLine(index, line, button) {
  showError("");
  button.disabled = true;
  const current = shown[index];
  const heads = lastRequest && lastRequest.acrostic ? [...lastRequest.acrostic.replace(/[\s,，、。]/g, "")] : [];
  const tune = tunes[current.check.tune];  // a ci's heads skip its 叠句
  const headLine = tune ? tune.lines.slice(0, line).filter((l) => !l.repeats).length : line;
  const body = {...samplingFields(), poem: current.poem.poem, line, num: 1, keep_head: headLine <= heads.length};
  delete body.seed;  // a seed would write the same line again
  if (current.poem.theme) body.theme = current.poem.theme.request;
  try {
    const [revised] = candidates(await api("revise", body));
    shown[index] = revised;
    render();
    const row = document.querySelector(`.poem[data-index="${index}"] .line[data-line="${line}"]`);
    row.classList.add("revised");
  } catch (err) {
    showError(err.message);
    button.disabled = false;
  }
}

function traditionalOn() {
  return $("traditional").checked;
}

// The characters of the poem without their marks, as shown: traditional ones when the toggle is on and they
// line up one for one with the simplified ones (the checker's lines and positions count these).
function glyphs(candidate) {
  const bare = (text) => [...text].filter((ch) => !LINE_MARKS.includes(ch));
  const simple = bare(candidate.poem.poem);
  const trad = bare(candidate.traditional.poem);
  return traditionalOn() && trad.length === simple.length ? trad : simple;
}

// What kind of check the checker gave (checker.py): a ci against its tune, a couplet, or a shi.
function kindOf(check) {
  if (check.genre === "ci") return "ci";
  return check.form === "对联" ? "couplet" : "shi";
}

const TONE_CLASS = {"平": "ping", "仄": "ze", "中": "either"};

// One character with its tone under it; `notes` become its tooltip.
function cell(ch, tone, notes) {
  const node = el("span", {class: `char tone-${TONE_CLASS[tone] || "unknown"}`, "data-tone": tone || "?"},
                  el("span", {class: "glyph"}, ch), el("span", {class: "mark"}, tone || "?"));
  notes.unshift(tone && tone !== "?" ? tone : "tone unknown");
  node.title = notes.join("; ");
  return node;
}

function flag(node, className, note, notes) {
  node.classList.add(className);
  if (note) notes.push(note);
}

// --- a shi: its lines, the best template's breaks, the rhyme group of each rhyme ------------------------

function drawShiLine(candidate, index, i, chars, redo) {
  const check = candidate.check.lines[i];
  const rhymes = candidate.check.template ? candidate.check.template.rhymes.includes(i) : i % 2 === 1;
  const row = el("div", {class: "line", "data-line": String(i + 1)});
  chars.forEach((ch, j) => {
    const notes = [];
    const node = cell(ch, check.tones[j], notes);
    if (check.breaks.includes(j + 1)) {
      flag(node, "break", `breaks the template: ${check.pattern[j]} wanted here (${check.pattern})`, notes);
    }
    if (check.fallback.includes(check.text[j])) notes.push("tone from modern pinyin (not in the table)");
    if (j === chars.length - 1 && rhymes && check.rhyme_groups.length) {
      // The group the poem rhymes in, when this character has it (台 is in 灰 and 支).
      const group = candidate.check.rhyme_groups.find((g) => check.rhyme_groups.includes(g)) || check.rhyme_groups[0];
      flag(node, "rhyme", `rhyme group ${check.rhyme_groups.join(" / ")}`, notes);
      node.append(el("span", {class: "group"}, group));
    }
    node.title = notes.join("; ");
    row.append(node);
  });
  const ending = poemText(candidate).split(/[^，。？！；：]+/).filter(Boolean)[i] || "";
  row.append(el("span", {class: "punct"}, ending));
  if (redo) row.append(redoButton(index, i));
  if (check.breaks.length) row.append(el("span", {class: "note"}, `breaks at ${check.breaks.join(", ")}`));
  row.append(...findings(check, SHI_LINE_KEYS, "span"));
  return row;
}

function drawShi(candidate, index, redo) {
  const chars = glyphs(candidate);
  let start = 0;
  return candidate.check.lines.map((line, i) => {
    const row = drawShiLine(candidate, index, i, chars.slice(start, start + [...line.text].length), redo);
    start += [...line.text].length;
    return row;
  });
}

// --- a ci: its lines by 片, the tune's pattern over each character, the rhyme sets by 词林正韵 部 ------------

function redoButton(index, i) {
  const button = el("button", {type: "button", class: "redo", title: `write line ${i + 1} again`,
                               "data-line": String(i + 1)}, "↻");
  button.addEventListener("click", () => reviseLine(index, i + 1, button));
  return button;
}

function drawCiLine(check, i, chars, index, redo) {
  const line = check.lines[i];
  const set = line.rhyme && check.rhyme_sets.find((r) => r.label === line.rhyme);
  const row = el("div", {class: "line", "data-line": String(i + 1)});
  chars.forEach((ch, j) => {
    const notes = [];
    const want = line.pattern[j] || "";
    const node = cell(ch, line.tones[j], notes);
    node.prepend(el("span", {class: "want", title: "the tune's tone here"}, want));
    if (want) notes.push(`the tune: ${want}`);
    if (line.breaks.includes(j + 1)) flag(node, "break", `breaks the tune: ${want} wanted here`, notes);
    if (set && j === chars.length - 1) {
      flag(node, "rhyme", `rhyme ${set.label} (${set.tone})`, notes);
      node.append(el("span", {class: "group"}, set.label));
      if (!set.rhymes) node.classList.add("break");
    }
    node.title = notes.join("; ");
    row.append(node);
  });
  row.append(el("span", {class: "punct"}, line.mark));
  const tune = tunes[check.tune];
  if (redo && tune && tune.lines.length === check.lines.length && !tune.lines[i].repeats) row.append(redoButton(index, i));
  if (set) {
    const where = set.in_one_section ? set.sections.join(" / ")
                                     : set.tongya.length ? `通押 ${set.tongya.join(" + ")}` : "not in one 部";
    row.append(el("span", {class: "rhyme-note"}, `韵${set.label} ${where}`));
  }
  if (line.breaks.length) row.append(el("span", {class: "note"}, `breaks the tune at ${line.breaks.join(", ")}`));
  row.append(...findings(line, CI_LINE_KEYS, "span"));
  return row;
}

// Lines per 片: as the poem says (generate --json), else as the tune table says, when they add up.
function stanzasOf(candidate) {
  const lines = candidate.check.lines.length;
  const tune = tunes[candidate.check.tune];
  const given = [candidate.poem.stanzas, tune && tune.stanza_lines].find((s) => s && s.length);
  return given && given.reduce((a, b) => a + b, 0) === lines ? given : [lines];
}

function drawCi(candidate, index, redo) {
  const {check} = candidate;
  const chars = glyphs(candidate);
  const rows = [];
  let start = 0;
  check.lines.forEach((line, i) => {
    rows.push(drawCiLine(check, i, chars.slice(start, start + [...line.text].length), index, redo));
    start += [...line.text].length;
  });
  let first = 0;
  return stanzasOf(candidate).map((count, k) => {
    const stanza = el("div", {class: "stanza", "data-stanza": String(k + 1)}, ...rows.slice(first, first + count));
    first += count;
    return stanza;
  });
}

// --- a couplet: 上联 and 下联, the key positions and their tones, the 对仗 by position ----------------------

function drawCoupletLine(check, which, chars) {
  const text = which === 0 ? check.first : check.second;
  const tones = check.tones[which];
  const row = el("div", {class: "line", "data-line": String(which + 1)},
                 el("span", {class: "side"}, which === 0 ? "上联" : "下联"));
  let k = 0;
  for (const ch of text) {
    if (LINE_MARKS.includes(ch)) {
      row.append(el("span", {class: "punct"}, ch));
      continue;
    }
    const position = k + 1;
    const notes = [];
    const node = cell(chars[k], tones[k], notes);
    if (check.key_positions.includes(position)) flag(node, "key", "a key position: the tones oppose", notes);
    if (check.tone_breaks.includes(position)) flag(node, "break", "the same tone as the other line here", notes);
    if (which === 1 && check.repeats.includes(position)) flag(node, "break", "a repeat the 上联 does not have", notes);
    node.title = notes.join("; ");
    row.append(node);
    k += 1;
  }
  row.append(el("span", {class: "punct"}, which === 0 ? "，" : "。"));
  return row;
}

// The 对仗 of each position, as a bar between the two lines (its height: the score, 0 to 1).
function drawPairing(check) {
  const row = el("div", {class: "pairing", title: "对仗 by position"}, el("span", {class: "side"}, "对仗"));
  const scores = check.parallelism ? check.parallelism.positions : [];
  let k = 0;
  for (const ch of check.first) {
    if (LINE_MARKS.includes(ch)) {
      row.append(el("span", {class: "punct"}, ""));
      continue;
    }
    const score = scores[k] === undefined ? null : scores[k];
    const bar = el("span", {class: "bar"});
    bar.style.height = `${Math.round((score || 0) * 100)}%`;
    row.append(el("span", {class: "position", "data-score": score === null ? "" : score.toFixed(2),
                           title: score === null ? "" : `对仗 ${score.toFixed(2)} at ${k + 1}`}, bar));
    k += 1;
  }
  return row;
}

function drawCouplet(candidate) {
  const {check} = candidate;
  const chars = glyphs(candidate);
  const firstChars = [...check.first].filter((ch) => !LINE_MARKS.includes(ch)).length;
  return [drawCoupletLine(check, 0, chars.slice(0, firstChars)), drawPairing(check),
          drawCoupletLine(check, 1, chars.slice(firstChars))];
}

// What `check` reports that this page draws in its own way, by kind; anything else it reports (the checker
// grows) is listed as it comes, so that the overlay always shows everything the checker found.
const DRAWN = {
  shi: new Set(["poem", "form", "lines", "rhyme_groups", "rhymes", "first_line_rhymes", "template", "fits_template",
                "breaks"]),
  ci: new Set(["poem", "genre", "tune", "shape", "lines_as_tune", "lines", "rhyme_sets", "rhymes", "fixed_positions",
               "agreeing_positions", "breaks", "follows_rules"]),
  couplet: new Set(["poem", "form", "first", "second", "tones", "key_positions", "tone_breaks", "opposed", "repeats",
                    "ends", "hard", "follows_rules", "parallelism", "pairing"]),
};
const SHI_LINE_KEYS = new Set(["text", "tones", "rhyme_groups", "fallback", "pattern", "breaks"]);
const CI_LINE_KEYS = new Set(["text", "mark", "tones", "pattern", "breaks", "rhyme"]);

function findings(check, drawn, tag) {
  return Object.entries(check)
    .filter(([key, value]) => !drawn.has(key) && value !== null && value !== false &&
                              !(Array.isArray(value) && !value.length))
    .map(([key, value]) => el(tag, {class: "finding", "data-key": key},
      `${key.replace(/_/g, " ")}: ${typeof value === "string" ? value : JSON.stringify(value)}`));
}

// Everything `check` reports about the whole poem, ci or couplet, in words.
function summaryLines(check) {
  const kind = kindOf(check);
  if (kind === "ci") {
    const parts = [`${check.tune}: ${check.shape ? (check.lines_as_tune ? "the tune's lines and marks"
                                                                          : "the tune's length and rhymes, its commas elsewhere")
                                                  : "not the tune's shape"}`];
    for (const set of check.rhyme_sets) {
      parts.push(`rhyme ${set.label} (${set.tone}): ${[...set.chars].join(" ")}: ` +
                 (set.in_one_section ? `in ${set.sections.join(" / ")}`
                                     : set.tongya.length ? `通押 ${set.tongya.join(" + ")}` : "not in one 部 of 词林正韵") +
                 (set.pingshui_groups.length ? ` (平水韵 ${set.pingshui_groups.join(" / ")})` : ""));
    }
    parts.push(`tones: ${check.agreeing_positions} of ${check.fixed_positions} fixed positions agree`);
    parts.push(`rules of the ${check.tune}: ${check.follows_rules ? "kept" : "broken"}`);
    return parts;
  }
  if (kind === "couplet") {
    const hard = Object.entries(check.hard).map(([rule, ok]) => `${rule} ${ok ? "✓" : "✗"}`).join(", ");
    const parts = [`对联: rules ${check.follows_rules ? "kept" : "broken"} (${hard})`,
                   `tones at the key positions ${check.key_positions.join(", ")}: ` +
                   (check.tone_breaks.length ? `the same at ${check.tone_breaks.join(", ")}` : "none the same") +
                   ` (${check.opposed} certainly opposite)`];
    if (check.parallelism) {
      parts.push(`对仗 ${check.parallelism.score.toFixed(2)}; pairing ${check.pairing >= 0 ? "+" : ""}${check.pairing.toFixed(2)}`);
    }
    return parts;
  }
  const parts = [check.form || "not one of 五绝 七绝 五律 七律"];
  parts.push(check.rhymes ? `rhymes in ${check.rhyme_groups[0]}${check.first_line_rhymes ? " (line 1 too)" : ""}`
                          : "the even lines do not rhyme");
  if (check.template) {
    parts.push(`${check.template.name}: ${check.fits_template ? "fits the template"
                                                               : `${check.breaks.length} tone(s) break it`}`);
  }
  return parts;
}

function summary(check) {
  return el("ul", {class: "summary"}, ...summaryLines(check).map((text) => el("li", {}, text)),
            ...findings(check, DRAWN[kindOf(check)], "li"));
}

// The poem's lines with their overlay, by kind; `index`: its place among the candidates (↻ needs it), or
// null for a text of one's own.
function drawLines(candidate, index) {
  const kind = kindOf(candidate.check);
  const rows = kind === "ci" ? drawCi(candidate, index, index !== null) : kind === "couplet" ? drawCouplet(candidate)
                                                                      : drawShi(candidate, index, index !== null);
  return el("div", {class: `lines lines-${kind}`, lang: traditionalOn() ? "zh-Hant" : "zh-Hans"}, ...rows);
}

function poemText(candidate) {
  return traditionalOn() ? candidate.traditional.poem : candidate.poem.poem;
}

function download(name, text, type) {
  const link = el("a", {href: URL.createObjectURL(new Blob([text], {type})), download: name});
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

async function copy(text, button) {
  try {
    await navigator.clipboard.writeText(text);
  } catch (err) {  // a page not served from a secure context has no clipboard API
    const area = el("textarea", {value: text});
    document.body.append(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  }
  button.textContent = "copied";
  setTimeout(() => { button.textContent = "Copy"; }, 1200);
}

async function showAttention(candidate, box, button) {
  if (box.childElementCount) {
    box.replaceChildren();
    button.textContent = "Attention";
    return;
  }
  button.disabled = true;
  try {
    const body = {poem: candidate.poem.poem};
    if (candidate.poem.theme) body.theme = candidate.poem.theme.request;
    const {svg} = await api("attention", body);
    // The server drew this SVG from the model's weights (attention_map.py), text escaped there.
    box.innerHTML = svg;
    button.textContent = "Hide attention";
  } catch (err) {
    showError(err.message);
  } finally {
    button.disabled = false;
  }
}

function drawPoem(candidate, index) {
  const {poem} = candidate;
  const head = el("header", {},
                  el("span", {class: "rank"}, `#${index + 1}`),
                  el("span", {class: "meta"}, `score ${poem.score.toFixed(2)} · seed ${poem.seed}` +
                     (poem.theme ? ` · keywords ${poem.theme.keywords_used.join(" ")}` : "")));
  const attention = el("div", {class: "attention"});
  const buttons = [
    ["Copy", (b) => copy(poemText(candidate), b)],
    ["Text", () => download(`poem-${index + 1}.txt`, poemText(candidate) + "\n", "text/plain")],
    ["JSON", () => download(`poem-${index + 1}.json`, JSON.stringify(
      {...(traditionalOn() ? candidate.traditional : poem), check: candidate.check}, null, 1) + "\n",
      "application/json")],
    ["Attention", (b) => showAttention(candidate, attention, b)],
  ].map(([label, action]) => {
    const b = el("button", {type: "button", class: `tool tool-${label.toLowerCase()}`}, label);
    b.addEventListener("click", () => action(b));
    return b;
  });
  return el("article", {class: "poem", "data-index": String(index)}, head, drawLines(candidate, index),
            summary(candidate.check), el("div", {class: "tools"}, ...buttons), attention);
}

function render() {
  $("results").replaceChildren(...shown.map(drawPoem));
}

async function checkPoem(event) {
  event.preventDefault();
  showError("");
  try {
    const body = {poem: $("check-text").value || $("check-text").placeholder};
    if ($("check-as").value) body.form = $("check-as").value;
    const check = await api("check", body);
    const text = {poem: check.poem};
    $("check-result").replaceChildren(drawLines({poem: text, traditional: text, check}, null), summary(check));
  } catch (err) {
    showError(err.message);
  }
}

function setMode() {
  const [hint, example] = HINTS[mode()];
  $("text-label").hidden = !hint;
  $("text-hint").textContent = hint;
  $("text").placeholder = example || "秋 思乡 (or nothing)";
  if (!$("text").value || Object.values(HINTS).some(([, ex]) => ex === $("text").value)) $("text").value = example;
  $("form-label").hidden = $("rhyme-label").hidden = !shiMode();
  $("tune-label").hidden = mode() !== "ci";
  showIn($("mode-note"), MODE_NOTES[mode()]);
}

function tuneLabel(tune) {
  const chars = tune.lines.reduce((sum, line) => sum + line.chars, 0);
  return `${tune.name} (${chars} 字, ${tune.stanza_lines.length} 片)`;
}

async function loadInfo() {
  const info = await (await fetch("/api/info")).json();
  $("rhyme").append(...info.rhyme_groups.map((g) => el("option", {value: g}, `${g} 韵`)));
  $("num").max = String(info.max_num);
  tunes = Object.fromEntries(info.tunes.map((tune) => [tune.name, tune]));
  $("tune").append(...info.tunes.map((tune) => el("option", {value: tune.name}, tuneLabel(tune))));
  $("check-as").append(...info.tunes.map((tune) => el("option", {value: tune.name}, tune.name)));
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll('input[name="mode"]').forEach((r) => r.addEventListener("change", setMode));
  $("request").addEventListener("submit", generate);
  $("check-request").addEventListener("submit", checkPoem);
  $("traditional").addEventListener("change", render);
  loadInfo().catch(() => showError(NO_SERVER));
});
