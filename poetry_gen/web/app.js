// The page of `poetry-gen serve`: reads the form, calls the JSON API, draws the poems with the checker's
// overlay. No library, nothing loaded from elsewhere.
"use strict";

const HINTS = {
  acrostic: ["Heads, one per line", "春夏秋冬"],
  theme: ["A theme, in words or a request", "写一首关于秋天思乡的七言绝句"],
  start: ["The first line (or more), kept as written", "床前明月光"],
  free: ["", ""],
};
const TEXT_FIELD = {acrostic: "acrostic", theme: "theme", start: "start"};
const NO_SERVER = "The server did not answer. Is `poetry-gen serve` still running?";

const $ = (id) => document.getElementById(id);
// What is shown: the last answer's candidates, each {poem, traditional, check} as the API gives them.
let shown = [];
let lastRequest = null;

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
  const box = $("error");
  box.textContent = message || "";
  box.hidden = !message;
}

function mode() {
  return document.querySelector('input[name="mode"]:checked').value;
}

// The sampling fields of the form, as /api/generate and /api/revise take them.
function samplingFields() {
  const body = {tones: $("tones").value, temperature: Number($("temperature").value)};
  const rhyme = $("rhyme").value;
  if (rhyme === "none") body.rhyme = false;
  else if (rhyme) body.rhyme = rhyme;
  if ($("seed").value !== "") body.seed = Number($("seed").value);
  return body;
}

function generateRequest() {
  const body = {...samplingFields(), num: Number($("num").value)};
  const field = TEXT_FIELD[mode()];
  if (field) body[field] = $("text").value;
  if ($("form").value) body.form = $("form").value;
  return body;
}

function candidates(data) {
  return data.poems.map((poem, i) => ({poem, traditional: data.traditional[i], check: data.checks[i]}));
}

async function generate(event) {
  event.preventDefault();
  showError("");
  const button = $("generate");
  button.disabled = true;
  $("status").textContent = "writing…";
  const started = performance.now();
  try {
    lastRequest = generateRequest();
    shown = candidates(await api("generate", lastRequest));
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
  const body = {...samplingFields(), poem: current.poem.poem, line, num: 1, keep_head: line <= heads.length};
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

// The characters to show of line i: traditional ones when the toggle is on and they line up one for one.
function lineChars(candidate, i) {
  const simple = candidate.poem.lines[i];
  const trad = candidate.traditional.lines[i];
  return [...(traditionalOn() && [...trad].length === [...simple].length ? trad : simple)];
}

function drawLine(candidate, index, i) {
  const check = candidate.check.lines[i];
  const rhymes = candidate.check.template ? candidate.check.template.rhymes.includes(i)
                                          : i % 2 === 1;
  const chars = lineChars(candidate, i);
  const row = el("div", {class: "line", "data-line": String(i + 1)});
  chars.forEach((ch, j) => {
    const tone = check.tones[j] || "?";
    const cell = el("span", {class: `char tone-${{"平": "ping", "仄": "ze", "中": "either"}[tone] || "unknown"}`,
                             "data-tone": tone}, el("span", {class: "glyph"}, ch), el("span", {class: "mark"}, tone));
    const broken = check.breaks.includes(j + 1);
    const notes = [`${tone === "?" ? "tone unknown" : tone}`];
    if (broken) {
      cell.classList.add("break");
      notes.push(`breaks the template: ${check.pattern[j]} wanted here (${check.pattern})`);
    }
    if (check.fallback.includes(candidate.poem.lines[i][j])) notes.push("tone from modern pinyin (not in the table)");
    if (j === chars.length - 1 && rhymes && check.rhyme_groups.length) {
      // The group the poem rhymes in, when this character has it (台 is in 灰 and 支).
      const group = candidate.check.rhyme_groups.find((g) => check.rhyme_groups.includes(g)) || check.rhyme_groups[0];
      cell.classList.add("rhyme");
      cell.append(el("span", {class: "group"}, group));
      notes.push(`rhyme group ${check.rhyme_groups.join(" / ")}`);
    }
    cell.title = notes.join("; ");
    row.append(cell);
  });
  const mark = poemText(candidate).split(/[^，。？！；：]+/).filter(Boolean)[i] || "";
  row.append(el("span", {class: "punct"}, mark));
  const redo = el("button", {type: "button", class: "redo", title: `write line ${i + 1} again`,
                             "data-line": String(i + 1)}, "↻");
  redo.addEventListener("click", () => reviseLine(index, i + 1, redo));
  row.append(redo);
  if (check.breaks.length) row.append(el("span", {class: "note"}, `breaks at ${check.breaks.join(", ")}`));
  row.append(...findings(check, LINE_KEYS, "span"));
  return row;
}

// What `check` reports that this page draws in its own way; anything else it reports (the checker grows)
// is listed as it comes, so that the overlay always shows everything the checker found.
const POEM_KEYS = new Set(["poem", "form", "lines", "rhyme_groups", "rhymes", "first_line_rhymes", "template",
                           "fits_template", "breaks"]);
const LINE_KEYS = new Set(["text", "tones", "rhyme_groups", "fallback", "pattern", "breaks"]);

function findings(check, drawn, tag) {
  return Object.entries(check)
    .filter(([key, value]) => !drawn.has(key) && value !== null && value !== false &&
                              !(Array.isArray(value) && !value.length))
    .map(([key, value]) => el(tag, {class: "finding", "data-key": key},
      `${key.replace(/_/g, " ")}: ${typeof value === "string" ? value : JSON.stringify(value)}`));
}

// Everything `check` reports about the whole poem.
function summary(check) {
  const parts = [check.form || "not one of 五绝 七绝 五律 七律"];
  parts.push(check.rhymes ? `rhymes in ${check.rhyme_groups[0]}${check.first_line_rhymes ? " (line 1 too)" : ""}`
                          : "the even lines do not rhyme");
  if (check.template) {
    parts.push(`${check.template.name}: ${check.fits_template ? "fits the template"
                                                               : `${check.breaks.length} tone(s) break it`}`);
  }
  return el("ul", {class: "summary"}, ...parts.map((text) => el("li", {}, text)), ...findings(check, POEM_KEYS, "li"));
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
  const lines = el("div", {class: "lines", lang: traditionalOn() ? "zh-Hant" : "zh-Hans"},
                   ...poem.lines.map((_, i) => drawLine(candidate, index, i)));
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
  return el("article", {class: "poem", "data-index": String(index)}, head, lines, summary(candidate.check),
            el("div", {class: "tools"}, ...buttons), attention);
}

function render() {
  $("results").replaceChildren(...shown.map(drawPoem));
}

async function checkPoem(event) {
  event.preventDefault();
  showError("");
  try {
    const check = await api("check", {poem: $("check-text").value || $("check-text").placeholder});
    const lines = check.lines.map((line) => el("div", {class: "line"},
      ...[...line.text].map((ch, j) => el("span", {class: `char${line.breaks.includes(j + 1) ? " break" : ""}`},
                                          el("span", {class: "glyph"}, ch),
                                          el("span", {class: "mark"}, line.tones[j])))));
    $("check-result").replaceChildren(el("div", {class: "lines"}, ...lines), summary(check));
  } catch (err) {
    showError(err.message);
  }
}

function setMode() {
  const [hint, example] = HINTS[mode()];
  $("text-label").hidden = !hint;
  $("text-hint").textContent = hint;
  $("text").placeholder = example;
  if (!$("text").value || Object.values(HINTS).some(([, ex]) => ex === $("text").value)) $("text").value = example;
}

async function loadInfo() {
  const info = await (await fetch("/api/info")).json();
  $("rhyme").append(...info.rhyme_groups.map((g) => el("option", {value: g}, `${g} 韵`)));
  $("num").max = String(info.max_num);
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll('input[name="mode"]').forEach((r) => r.addEventListener("change", setMode));
  $("request").addEventListener("submit", generate);
  $("check-form").addEventListener("submit", checkPoem);
  $("traditional").addEventListener("change", render);
  loadInfo().catch(() => showError(NO_SERVER));
});
