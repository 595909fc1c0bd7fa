// Sellcast's own script: progressive enhancement only. Every page works without it.
"use strict";

(function () {
  const body = document.body;
  const csrf = body.dataset.csrf || "";
  const org = body.dataset.org || "";

  // Menus (<details>): close on Escape and on a click elsewhere.
  document.addEventListener("click", (e) => {
    document.querySelectorAll("details.menu[open]").forEach((d) => {
      if (!d.contains(e.target)) d.removeAttribute("open");
    });
  });
  document.addEventListener("keydown", (e) => {
    if (e.key !== "Escape") return;
    document.querySelectorAll("details.menu[open]").forEach((d) => {
      d.removeAttribute("open");
      const s = d.querySelector("summary");
      if (s) s.focus();
    });
  });

  // Buttons that need a second thought.
  document.addEventListener("submit", (e) => {
    const button = e.submitter;
    const message = button && button.dataset.confirm;
    if (message && !window.confirm(message)) e.preventDefault();
  });

  function toast(text) {
    const box = document.getElementById("toasts");
    if (!box) return;
    const t = document.createElement("div");
    t.className = "toast";
    t.setAttribute("role", "status");
    t.textContent = text;
    box.appendChild(t);
    setTimeout(() => t.remove(), 6000);
  }

  function setBadge(el, status) {
    el.className = "badge status-" + status;
    el.dataset.status = status;
    el.textContent = status.replace(/_/g, " ");
  }

  // Live updates from the workspace's event stream.
  const handlers = {
    "post:status": (d) => {
      document.querySelectorAll('[data-post-id="' + CSS.escape(d.post_id) + '"]').forEach((row) => {
        const badge = row.querySelector("[data-post-status]") || row.querySelector("[data-status]");
        if (badge) setBadge(badge, d.status);
        (d.variants || []).forEach((v) => {
          const vb = row.querySelector('[data-variant-id="' + CSS.escape(v.id) + '"] [data-status]');
          if (vb) setBadge(vb, v.status);
          const link = row.querySelector('[data-variant-id="' + CSS.escape(v.id) + '"] [data-platform-link]');
          if (link && v.platform_url) {
            link.href = v.platform_url;
            link.hidden = false;
          }
        });
      });
      if (d.status === "published" || d.status === "failed" || d.status === "partially_published") {
        toast("A post is now " + d.status.replace(/_/g, " ") + ".");
      }
    },
    "notification:new": (d) => {
      const count = document.getElementById("bell-count");
      if (count && typeof d.unread_count === "number") {
        count.textContent = String(d.unread_count);
        count.hidden = d.unread_count === 0;
        const bell = count.closest(".bell");
        if (bell) bell.setAttribute("aria-label", "Notifications, " + d.unread_count + " unread");
      }
      const n = d.notification || d;
      if (n.title) toast(n.title);
    },
  };

  if (org && "EventSource" in window) {
    // EventSource reconnects by itself and sends Last-Event-ID, so nothing is missed.
    const es = new EventSource("/api/v1/orgs/" + encodeURIComponent(org) + "/events");
    Object.keys(handlers).forEach((kind) => {
      es.addEventListener(kind, (e) => {
        try {
          handlers[kind](JSON.parse(e.data));
        } catch (_) {
          /* a malformed event is skipped */
        }
      });
    });
    window.addEventListener("beforeunload", () => es.close());
  }

  // Shared with page scripts.
  window.Sellcast = { csrf, org, toast, setBadge, handlers };
})();
