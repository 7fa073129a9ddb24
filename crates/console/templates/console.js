// tgfleet console: the live event feed (Server-Sent Events) and media uploads.
"use strict";

function cell(text) {
  const td = document.createElement("td");
  td.textContent = text == null ? "" : String(text);
  return td;
}

function startLiveFeed(table) {
  const state = document.getElementById("live-state");
  const body = table.querySelector("tbody");
  const source = new EventSource(table.dataset.stream);
  source.onopen = () => { state.textContent = "live"; };
  source.onerror = () => { state.textContent = "reconnecting…"; };
  source.addEventListener("tgfleet", (message) => {
    const e = JSON.parse(message.data);
    const row = document.createElement("tr");
    row.dataset.id = e.id;
    row.className = "fresh";
    [e.at, e.service, e.account, e.group, e.action].forEach((v) => row.appendChild(cell(v)));
    const outcome = cell("");
    const badge = document.createElement("span");
    badge.className = "outcome " + e.outcome;
    badge.textContent = e.outcome;
    outcome.appendChild(badge);
    row.appendChild(outcome);
    row.appendChild(cell(e.flood_wait_secs));
    row.appendChild(cell(e.detail));
    body.insertBefore(row, body.firstChild);
    while (body.rows.length > 500) body.deleteRow(body.rows.length - 1);
  });
}

function startUpload(form) {
  const result = document.getElementById("upload-result");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const file = form.elements.file.files[0];
    if (!file) return;
    const reader = new FileReader();
    reader.onload = async () => {
      const base64 = String(reader.result).split(",")[1] || "";
      const response = await fetch("/api/v1/campaigns/" + form.dataset.campaign + "/variants", {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": form.dataset.csrf },
        body: JSON.stringify({
          kind: form.elements.kind.value,
          text: form.elements.text.value,
          file_name: file.name,
          media_base64: base64,
        }),
      });
      const answer = await response.json();
      if (response.ok) location.reload();
      else result.textContent = answer.error || "upload refused";
    };
    reader.readAsDataURL(file);
  });
}

document.addEventListener("DOMContentLoaded", () => {
  const feed = document.getElementById("events");
  if (feed && feed.dataset.stream) startLiveFeed(feed);
  const upload = document.getElementById("upload-variant");
  if (upload) startUpload(upload);
});
