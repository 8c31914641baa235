// Album page: upload many files at once, each on its own request (progress, retry), then follow
// each file's processing state until the worker is done. Plain JavaScript, no dependencies.
(function () {
  "use strict";
  const box = document.getElementById("upload");
  if (!box) return;
  const album = box.dataset.album, csrf = box.dataset.csrf;
  const limit = Number(box.dataset.limitMb) * 1024 * 1024;
  const list = document.getElementById("uploads");
  const table = document.querySelector("#album-files tbody");
  const labels = { waiting: "waiting to be checked…", processing: "processing…", checked: "processed", failed: "could not be checked" };
  const waiting = [];
  let running = 0, polling = null;
  const PARALLEL = 3;

  function item(file) {
    const li = document.createElement("li");
    li.className = "file queued";
    li.innerHTML = '<span class="name"></span><progress max="100" value="0"></progress>' +
      '<span class="status">waiting…</span><button type="button" class="retry" hidden>Retry</button>';
    li.querySelector(".name").textContent = file.name;
    li.querySelector(".retry").addEventListener("click", () => { li.querySelector(".retry").hidden = true; queue(file, li); });
    list.appendChild(li);
    return li;
  }

  function setStatus(li, kind, text) {
    li.className = "file " + kind;
    li.querySelector(".status").textContent = text;
    summary();
  }

  function queue(file, li) {
    if (file.size > limit) {
      setStatus(li, "rejected", "not uploaded: too large (" + Math.round(file.size / 1048576) + " MB, the limit is " + box.dataset.limitMb + " MB)");
      return;
    }
    setStatus(li, "queued", "waiting…");
    waiting.push([file, li]);
    next();
  }

  function next() {
    while (running < PARALLEL && waiting.length) {
      const [file, li] = waiting.shift();
      running++;
      send(file, li, () => { running--; next(); });
    }
  }

  function send(file, li, done) {
    const request = new XMLHttpRequest();
    const bar = li.querySelector("progress");
    request.open("POST", "/albums/" + album + "/files?name=" + encodeURIComponent(file.name));
    request.setRequestHeader("X-CSRF-Token", csrf);
    request.setRequestHeader("Content-Type", "application/octet-stream");
    request.setRequestHeader("Accept", "application/json");
    request.upload.onprogress = (e) => { if (e.lengthComputable) bar.value = Math.round(100 * e.loaded / e.total); };
    setStatus(li, "sending", "uploading…");
    request.onload = () => {
      let body = {};
      try { body = JSON.parse(request.responseText); } catch (e) { body = {}; }
      if (request.status === 201) {
        bar.value = 100;
        li.dataset.media = body.id;
        setStatus(li, "uploaded state-" + body.state, "uploaded · " + labels[body.state]);
        row(body);
        follow();
      } else if (request.status === 422 || request.status === 413) {
        setStatus(li, "rejected", "not accepted: " + (body.error || body.detail || "refused"));
      } else {
        failed(li, body.detail || ("the server answered " + request.status));
      }
      done();
    };
    request.onerror = () => { failed(li, "the connection was lost"); done(); };
    request.send(file);
  }

  function failed(li, why) {
    setStatus(li, "failed", "upload failed: " + why);
    li.querySelector(".retry").hidden = false;
  }

  function stateText(file) {
    const done = file.progress === null || file.progress === undefined ? "" : " " + file.progress + "%";
    return labels[file.state] + done + (file.reason ? ": " + file.reason : "");
  }

  function row(file) {
    let tr = table.querySelector('tr[data-media="' + file.id + '"]');
    if (!tr) {
      tr = document.createElement("tr");
      tr.dataset.media = file.id;
      tr.innerHTML = "<td></td><td></td><td></td>";
      table.appendChild(tr);
      document.getElementById("empty-note").hidden = true;
    }
    tr.cells[0].textContent = file.name;
    tr.cells[1].textContent = file.kind;
    tr.cells[2].className = "state state-" + file.state;
    tr.cells[2].textContent = stateText(file);
    const li = list.querySelector('li[data-media="' + file.id + '"]');
    if (li) setStatus(li, "uploaded state-" + file.state, "uploaded · " + stateText(file));
  }

  function follow() {
    if (polling) return;
    polling = setInterval(async () => {
      const answer = await fetch("/api/albums/" + album + "/files", { headers: { Accept: "application/json" } });
      if (!answer.ok) return;
      const files = await answer.json();
      files.forEach(row);
      if (!files.some((f) => f.state === "waiting" || f.state === "processing") && running === 0 && !waiting.length) {
        clearInterval(polling);
        polling = null;
      }
    }, 2000);
  }

  function summary() {
    const count = (selector) => list.querySelectorAll(selector).length;
    const parts = [count("li.uploaded") + " uploaded", count("li.state-checked") + " processed",
      count("li.rejected") + " not accepted", count("li.failed") + " failed"];
    document.getElementById("summary").textContent = parts.join(" · ");
  }

  function take(files) { Array.from(files).forEach((file) => queue(file, item(file))); }

  const zone = document.getElementById("dropzone");
  document.getElementById("picker").addEventListener("change", (e) => { take(e.target.files); e.target.value = ""; });
  ["dragenter", "dragover"].forEach((name) => zone.addEventListener(name, (e) => { e.preventDefault(); zone.classList.add("over"); }));
  ["dragleave", "drop"].forEach((name) => zone.addEventListener(name, (e) => { e.preventDefault(); zone.classList.remove("over"); }));
  zone.addEventListener("drop", (e) => take(e.dataTransfer.files));
  if (table.querySelector(".state-processing, .state-waiting")) follow();
})();
