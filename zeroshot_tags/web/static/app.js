// zeroshot-tags page: every change (photo, chosen hashtags, caption, model) asks /api/suggest again.
"use strict";

const state = { photo: null, url: null, accepted: [], suggestions: [] };
const $ = (id) => document.getElementById(id);

function setStatus(text, isError = false) {
  $("status").textContent = text;
  $("status").classList.toggle("error", isError);
}

async function loadModels() {
  const models = await (await fetch("/api/models")).json();
  for (const model of models) {
    const option = new Option(model.name, model.id);
    option.dataset.zeroShot = model.zero_shot;
    $("model").add(option);
  }
  $("model-in-use").textContent = `in use: ${models[0].name}`;
}

function usePhoto(file) {
  if (!file || !file.type.startsWith("image/")) { setStatus("That is not an image.", true); return; }
  state.photo = file; state.url = null; state.accepted = [];
  $("preview").src = URL.createObjectURL(file); $("preview").hidden = false;
  refresh();
}

function useUrl(url) {
  state.photo = null; state.url = url; state.accepted = [];
  $("preview").src = url; $("preview").hidden = false;
  refresh();
}

async function refresh() {
  if (!state.photo && !state.url) return;
  const form = new FormData();
  if (state.photo) form.append("image", state.photo); else form.append("url", state.url);
  form.append("model", $("model").value);
  form.append("top", "10");
  state.accepted.forEach((tag) => form.append("accepted", tag));
  form.append("caption", $("caption").value);
  form.append("caption_weight", $("caption-weight").value);
  setStatus("Thinking…");
  const response = await fetch("/api/suggest", { method: "POST", body: form });
  const answer = await response.json();
  if (!response.ok) {
    const detail = typeof answer.detail === "string" ? answer.detail : JSON.stringify(answer.detail);
    setStatus(detail, true); return;
  }
  state.suggestions = answer.suggestions;
  $("model-in-use").textContent = `in use: ${answer.model_name}`;
  setStatus("");
  render();
}

function tagButton(text, title, onClick) {
  const button = document.createElement("button");
  button.type = "button"; button.className = "tag"; button.title = title;
  button.append(text);
  button.addEventListener("click", onClick);
  return button;
}

function render() {
  $("chosen").replaceChildren(...state.accepted.map((tag) =>
    tagButton(tag, "click to remove", () => { state.accepted = state.accepted.filter((t) => t !== tag); refresh(); })));
  $("suggestions").replaceChildren(...state.suggestions.map((s) => {
    const button = tagButton(s.hashtag, s.word, () => { state.accepted.push(s.hashtag); refresh(); });
    const score = document.createElement("small"); score.textContent = s.score.toFixed(2);
    button.append(score);
    return button;
  }));
}

async function copyAll() {
  const text = [...state.accepted, ...state.suggestions.map((s) => s.hashtag)].join(" ");
  try { await navigator.clipboard.writeText(text); setStatus("Copied."); }
  catch { setStatus("Copy failed: select and copy by hand: " + text, true); }
}

async function addHashtag(event) {
  event.preventDefault();
  const entry = $("new-hashtag").value.trim();
  if (!entry) return;
  const response = await fetch("/api/hashtags", { method: "POST", headers: { "Content-Type": "application/json" },
                                                  body: JSON.stringify({ entries: [entry] }) });
  const answer = await response.json();
  if (!response.ok) { setStatus(typeof answer.detail === "string" ? answer.detail : "could not add it", true); return; }
  $("new-hashtag").value = "";
  await refresh();
  setStatus(`Added ${answer.hashtags.join(" ")}.`);
}

function debounce(fn, ms) { let timer; return () => { clearTimeout(timer); timer = setTimeout(fn, ms); }; }

document.addEventListener("DOMContentLoaded", () => {
  loadModels();
  $("file").addEventListener("change", (e) => usePhoto(e.target.files[0]));
  const drop = $("drop");
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("over"); usePhoto(e.dataTransfer.files[0]); });
  document.addEventListener("paste", (e) => {
    const item = [...e.clipboardData.items].find((i) => i.type.startsWith("image/"));
    if (item) usePhoto(item.getAsFile());
  });
  $("url-form").addEventListener("submit", (e) => { e.preventDefault(); if ($("url").value) useUrl($("url").value); });
  $("caption").addEventListener("input", debounce(refresh, 400));
  $("caption-weight").addEventListener("input", () => { $("caption-weight-value").textContent = $("caption-weight").value; });
  $("caption-weight").addEventListener("change", refresh);
  $("model").addEventListener("change", refresh);
  $("copy").addEventListener("click", copyAll);
  $("add-form").addEventListener("submit", addHashtag);
});
