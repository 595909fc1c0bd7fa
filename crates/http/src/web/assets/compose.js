// The composer, enhanced: live per-channel character counters (counted by the server, the
// way each platform counts), channel sections as tabs, uploads without leaving the page.
"use strict";

(function () {
  const form = document.getElementById("compose-form");
  if (!form) return;
  const csrf = document.body.dataset.csrf || "";
  const main = form.querySelector("[data-compose-text]");
  const cards = Array.from(form.querySelectorAll(".channel-card"));
  const checks = () => cards.filter((c) => c.querySelector("[data-channel-check]").checked);
  const overrideOf = (card) => card.querySelector("[data-override-for]");

  // --- Counters -----------------------------------------------------------------------
  function textFor(card) {
    const o = overrideOf(card);
    return o && o.value.trim() !== "" ? o.value : main.value;
  }

  function paint(id, c) {
    form.querySelectorAll('[data-count-for="' + CSS.escape(id) + '"]').forEach((el) => {
      el.classList.remove("pending");
      el.classList.toggle("over", !c.ok);
      el.title = c.method;
      const value = el.querySelector(".counter-value");
      const state = el.querySelector(".counter-state");
      if (value) value.textContent = c.count + " / " + c.limit;
      if (state) state.textContent = c.ok ? "OK" : "Over by " + (c.count - c.limit);
    });
    const tab = form.querySelector('.channel-tab[data-tab-for="' + CSS.escape(id) + '"]');
    if (tab) tab.classList.toggle("over", !c.ok);
  }

  let timer = null;
  let inflight = null;
  function recount() {
    const items = checks().map((card) => ({ channel_id: card.dataset.channelId, text: textFor(card) }));
    form.querySelectorAll("[data-count-for]").forEach((el) => el.classList.add("pending"));
    if (inflight) inflight.abort();
    inflight = new AbortController();
    fetch(form.dataset.countUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf, Accept: "application/json" },
      body: JSON.stringify({ items }),
      signal: inflight.signal,
      credentials: "same-origin",
    })
      .then((r) => (r.ok ? r.json() : Promise.reject(r.status)))
      .then((d) => (d.items || []).forEach((c) => paint(c.channel_id, c)))
      .catch(() => {
        /* offline or aborted: the server checks again on save */
      });
  }
  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(recount, 300);
  }

  function showCounters() {
    const on = new Set(checks().map((c) => c.dataset.channelId));
    form.querySelectorAll("[data-counter-item]").forEach((li) => {
      li.hidden = !on.has(li.dataset.counterItem);
    });
  }

  // --- Tabs over the ticked channels -----------------------------------------------------
  const list = form.querySelector("[data-channel-tabs]");
  let tabs = null;
  let active = null;
  if (list && cards.length > 0) {
    tabs = document.createElement("div");
    tabs.className = "channel-tabs";
    tabs.setAttribute("role", "tablist");
    tabs.setAttribute("aria-label", "Adapt the text per channel");
    const legend = list.querySelector("legend");
    list.insertBefore(tabs, legend ? legend.nextSibling : list.firstChild);
    list.classList.add("tabs-on");
  }

  function select(id, focus) {
    active = id;
    cards.forEach((card) => {
      const on = card.dataset.channelId === id;
      card.classList.toggle("tab-active", on);
      const panel = card.querySelector(".channel-adapt");
      if (panel) panel.setAttribute("aria-hidden", on ? "false" : "true");
    });
    if (!tabs) return;
    tabs.querySelectorAll(".channel-tab").forEach((t) => {
      const on = t.dataset.tabFor === id;
      t.setAttribute("aria-selected", on ? "true" : "false");
      t.tabIndex = on ? 0 : -1;
      if (on && focus) t.focus();
    });
  }

  function buildTabs() {
    if (!tabs) return;
    tabs.textContent = "";
    const ticked = checks();
    ticked.forEach((card) => {
      const id = card.dataset.channelId;
      const b = document.createElement("button");
      b.type = "button";
      b.className = "channel-tab";
      b.setAttribute("role", "tab");
      b.dataset.tabFor = id;
      b.setAttribute("aria-controls", "adapt-" + id);
      b.textContent = card.querySelector(".channel-name").textContent.trim();
      b.addEventListener("click", () => select(id, false));
      tabs.appendChild(b);
      const panel = card.querySelector(".channel-adapt");
      if (panel) panel.setAttribute("role", "tabpanel");
    });
    tabs.hidden = ticked.length === 0;
    const ids = ticked.map((c) => c.dataset.channelId);
    // A section with an error opens first, so the message is seen.
    const withError = ticked.find((c) => c.classList.contains("has-error"));
    select(ids.includes(active) ? active : withError ? withError.dataset.channelId : ids[0] || null, false);
  }

  if (tabs) {
    tabs.addEventListener("keydown", (e) => {
      const all = Array.from(tabs.querySelectorAll(".channel-tab"));
      const i = all.findIndex((t) => t.dataset.tabFor === active);
      let next = -1;
      if (e.key === "ArrowRight") next = (i + 1) % all.length;
      else if (e.key === "ArrowLeft") next = (i - 1 + all.length) % all.length;
      else if (e.key === "Home") next = 0;
      else if (e.key === "End") next = all.length - 1;
      if (next < 0 || all.length === 0) return;
      e.preventDefault();
      select(all[next].dataset.tabFor, true);
    });
  }

  cards.forEach((card) => {
    card.querySelector("[data-channel-check]").addEventListener("change", (e) => {
      buildTabs();
      if (e.target.checked) select(card.dataset.channelId, false);
      showCounters();
      schedule();
    });
    const o = overrideOf(card);
    if (o) o.addEventListener("input", schedule);
  });
  main.addEventListener("input", schedule);
  buildTabs();
  showCounters();

  // --- Uploads --------------------------------------------------------------------------
  const upload = document.getElementById("media-upload");
  const file = document.getElementById("f-file");
  const preview = document.getElementById("upload-preview");
  const uploadError = document.getElementById("upload-error");
  const grid = document.querySelector("[data-media-grid]");

  if (file && preview) {
    file.addEventListener("change", () => {
      const f = file.files && file.files[0];
      if (preview.src) URL.revokeObjectURL(preview.src);
      if (f && f.type.startsWith("image/")) {
        preview.src = URL.createObjectURL(f);
        preview.hidden = false;
      } else {
        preview.removeAttribute("src");
        preview.hidden = true;
      }
    });
  }

  function addMedia(m) {
    const label = document.createElement("label");
    label.className = "media-item";
    const box = document.createElement("input");
    box.type = "checkbox";
    box.name = "media";
    box.value = m.id;
    box.checked = true;
    box.setAttribute("form", "compose-form");
    label.appendChild(box);
    if (m.kind === "image") {
      const img = document.createElement("img");
      img.src = preview && preview.src ? preview.src : m.thumbnail_url;
      img.alt = m.filename;
      img.width = 96;
      img.height = 96;
      label.appendChild(img);
    } else {
      const v = document.createElement("span");
      v.className = "media-video";
      v.setAttribute("aria-hidden", "true");
      v.textContent = "▶";
      label.appendChild(v);
    }
    const name = document.createElement("span");
    name.className = "media-name truncate";
    name.textContent = m.filename;
    label.appendChild(name);
    grid.insertBefore(label, grid.firstChild);
    const empty = document.querySelector("[data-media-empty]");
    if (empty) empty.remove();
  }

  if (upload && grid) {
    upload.addEventListener("submit", (e) => {
      e.preventDefault();
      uploadError.hidden = true;
      if (!file.files || !file.files[0]) {
        uploadError.textContent = "Choose a file first.";
        uploadError.hidden = false;
        return;
      }
      const data = new FormData(upload);
      const button = document.querySelector('button[form="media-upload"]');
      if (button) button.disabled = true;
      fetch(upload.action, {
        method: "POST",
        body: data,
        headers: { "X-CSRF-Token": csrf, Accept: "application/json" },
        credentials: "same-origin",
      })
        .then((r) =>
          r
            .json()
            .catch(() => ({ error: "the server refused the file (" + r.status + ")." }))
            .then((d) => (r.ok ? d : Promise.reject(d.error || "the upload failed."))),
        )
        .then((m) => {
          addMedia(m);
          file.value = "";
          const alt = document.getElementById("f-alt");
          if (alt) alt.value = "";
          preview.hidden = true;
          if (window.Sellcast) window.Sellcast.toast(m.filename + " uploaded and attached.");
        })
        .catch((msg) => {
          uploadError.textContent = "The file was not uploaded: " + msg;
          uploadError.hidden = false;
        })
        .finally(() => {
          if (button) button.disabled = false;
        });
    });
  }
})();
