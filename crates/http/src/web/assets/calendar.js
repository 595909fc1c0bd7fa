// Calendar: reschedule by drag and drop, or from the keyboard (Alt+Arrow keys on a focused
// post). Both post the same form as the no-JavaScript "Move" page, asking for JSON back.
"use strict";

(function () {
  const grid = document.querySelector(".cal-grid[data-move-url]");
  if (!grid) return;
  const S = window.Sellcast || {};
  const say = (text) => (S.toast ? S.toast(text) : undefined);
  const moveUrl = grid.dataset.moveUrl;
  const view = grid.dataset.view || "month";
  const csrf = () => S.csrf || document.body.dataset.csrf || "";

  // Dates and times are the viewer's wall clock: do the arithmetic in UTC so the browser's
  // own timezone never shifts them.
  function shift(date, time, days, hours) {
    const [y, m, d] = date.split("-").map(Number);
    const [hh, mm] = time.split(":").map(Number);
    const t = new Date(Date.UTC(y, m - 1, d + days, hh + hours, mm));
    const pad = (n) => String(n).padStart(2, "0");
    return {
      date: t.getUTCFullYear() + "-" + pad(t.getUTCMonth() + 1) + "-" + pad(t.getUTCDate()),
      time: pad(t.getUTCHours()) + ":" + pad(t.getUTCMinutes()),
    };
  }

  function label(date, time) {
    const [y, m, d] = date.split("-").map(Number);
    const day = new Date(Date.UTC(y, m - 1, d)).toLocaleDateString(undefined, {
      weekday: "short", day: "numeric", month: "short", timeZone: "UTC",
    });
    return day + ", " + time;
  }

  // Put the chip into the day's list, in time order; drop it when the day is not shown.
  function place(chip, date, time) {
    chip.dataset.date = date;
    chip.dataset.time = time;
    const t = chip.querySelector(".chip-time");
    if (t) t.textContent = time;
    const cell = grid.querySelector('.cal-day[data-date="' + date + '"]');
    if (!cell) {
      chip.remove();
      return false;
    }
    const list = cell.querySelector(".cal-posts");
    const after = Array.from(list.children).find((c) => c !== chip && (c.dataset.time || "") > time);
    list.insertBefore(chip, after || null);
    cell.classList.remove("empty");
    return true;
  }

  async function move(chip, date, time) {
    if (chip.classList.contains("moving")) return;
    const body = new URLSearchParams({ _csrf: csrf(), post_id: chip.dataset.postId, date, time, view });
    chip.classList.add("moving");
    try {
      const res = await fetch(moveUrl, {
        method: "POST",
        headers: { Accept: "application/json", "Content-Type": "application/x-www-form-urlencoded" },
        body,
        credentials: "same-origin",
      });
      let data = {};
      try {
        data = await res.json();
      } catch (_) {
        data = { error: res.status === 403 ? "Not allowed, or the page expired: reload and try again." : "The post could not be moved." };
      }
      if (!res.ok || data.error) {
        say(data.error || "The post could not be moved.");
        return;
      }
      const link = chip.querySelector(".chip-link");
      const shown = place(chip, data.date, data.time);
      const badge = chip.querySelector("[data-post-status]");
      if (badge && S.setBadge && data.status) S.setBadge(badge, data.status);
      say("Moved to " + label(data.date, data.time) + (shown ? "." : " (outside this view)."));
      if (shown && link) link.focus();
    } catch (_) {
      say("The post could not be moved: the connection failed.");
    } finally {
      chip.classList.remove("moving");
    }
  }

  // Drag and drop: a chip onto a day keeps its time of day.
  let dragged = null;
  grid.addEventListener("dragstart", (e) => {
    const chip = e.target.closest && e.target.closest(".chip[data-movable]");
    if (!chip) return;
    dragged = chip;
    chip.classList.add("dragging");
    e.dataTransfer.effectAllowed = "move";
    e.dataTransfer.setData("text/plain", chip.dataset.postId);
  });
  grid.addEventListener("dragend", () => {
    if (dragged) dragged.classList.remove("dragging");
    dragged = null;
    grid.querySelectorAll(".drop-target").forEach((c) => c.classList.remove("drop-target"));
  });
  grid.addEventListener("dragover", (e) => {
    const cell = dragged && e.target.closest(".cal-day");
    if (!cell) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = "move";
    grid.querySelectorAll(".drop-target").forEach((c) => c !== cell && c.classList.remove("drop-target"));
    cell.classList.add("drop-target");
  });
  grid.addEventListener("drop", (e) => {
    const cell = dragged && e.target.closest(".cal-day");
    if (!cell) return;
    e.preventDefault();
    cell.classList.remove("drop-target");
    const chip = dragged;
    if (cell.dataset.date !== chip.dataset.date) move(chip, cell.dataset.date, chip.dataset.time);
  });

  // Keyboard: Alt+Left/Right moves a day, Alt+Up/Down an hour.
  const steps = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
  grid.addEventListener("keydown", (e) => {
    if (!e.altKey || e.ctrlKey || e.metaKey || !steps[e.key]) return;
    const chip = e.target.closest && e.target.closest(".chip[data-movable]");
    if (!chip) return;
    e.preventDefault();
    const [days, hours] = steps[e.key];
    const to = shift(chip.dataset.date, chip.dataset.time, days, hours);
    move(chip, to.date, to.time);
  });

  // Live status changes recolour the chip too (app.js updates its badge).
  const live = S.handlers && S.handlers["post:status"];
  if (live) {
    S.handlers["post:status"] = (d) => {
      live(d);
      grid.querySelectorAll('.chip[data-post-id="' + CSS.escape(d.post_id) + '"]').forEach((chip) => {
        chip.className = chip.className.replace(/\bstatus-\S+/g, "").trim() + " status-" + d.status;
        if (d.status !== "scheduled" && d.status !== "draft") {
          chip.removeAttribute("data-movable");
          chip.removeAttribute("draggable");
          const m = chip.querySelector(".chip-move");
          if (m) m.remove();
        }
      });
    };
  }
})();
