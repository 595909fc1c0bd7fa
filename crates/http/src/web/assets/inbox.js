// The inbox's progressive enhancement: forms sent in place, conversations opened without a
// page load, keyboard shortcuts, and live updates. New HTML always comes from the server
// (the page, or its /inbox/list and /inbox/{id}/thread fragments); this script only swaps it in.
"use strict";

(function () {
  const root = document.querySelector(".inbox");
  if (!root) return;
  const S = window.Sellcast || {};
  const org = document.body.dataset.org || "";
  const base = root.dataset.base;
  const announcer = document.getElementById("inbox-announce");
  const toast = S.toast || (() => {});

  function showScriptOnly(scope) {
    scope.querySelectorAll(".js-only[hidden]").forEach((el) => (el.hidden = false));
  }
  showScriptOnly(document);

  function say(text) {
    if (!announcer) return;
    announcer.textContent = "";
    setTimeout(() => (announcer.textContent = text), 50);
  }

  const byId = (id) => document.getElementById(id);
  const openId = () => (byId("inbox-thread") || {}).dataset?.conversationId || "";
  const parse = (html) => new DOMParser().parseFromString(html, "text/html");
  const visible = (el) => !!el && el.offsetParent !== null;

  async function fetchHtml(url) {
    const res = await fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } });
    if (!res.ok || new URL(res.url).pathname.startsWith("/signin")) throw new Error("HTTP " + res.status);
    return res.text();
  }

  // The list: rows stay ticked and the open conversation stays highlighted.
  function markActive(id) {
    document.querySelectorAll(".conv-row").forEach((row) => {
      const on = row.dataset.conversationId === id;
      row.classList.toggle("active", on);
      const link = row.querySelector(".conv-link");
      if (on) link.setAttribute("aria-current", "true");
      else link.removeAttribute("aria-current");
      if (on && row.classList.contains("unread")) {
        row.classList.remove("unread");
        row.dataset.unread = "false";
        const dot = row.querySelector(".unread-dot");
        if (dot) dot.remove();
      }
    });
  }

  function swapRows(fresh) {
    const old = byId("inbox-rows");
    if (!old || !fresh) return;
    const ticked = new Set([...document.querySelectorAll("input[name=ids]:checked")].map((i) => i.value));
    const focusedRow = old.contains(document.activeElement) && document.activeElement.closest(".conv-row");
    fresh.querySelectorAll("input[name=ids]").forEach((i) => (i.checked = ticked.has(i.value)));
    old.replaceWith(fresh);
    markActive(openId());
    if (focusedRow) {
      const again = fresh.querySelector('.conv-row[data-conversation-id="' + CSS.escape(focusedRow.dataset.conversationId) + '"] .conv-link');
      if (again) again.focus();
    }
  }

  // The thread: what is typed in the reply box survives, and so do the scroll and the focus.
  function swapThread(fresh, keepComposer) {
    const old = byId("inbox-thread");
    if (!old || !fresh) return;
    const scroller = old.querySelector(".thread-scroll");
    const atEnd = !scroller || Math.abs(scroller.scrollTop) < 40; // a reversed column: 0 is the end
    const top = scroller ? scroller.scrollTop : 0;
    const active = old.contains(document.activeElement) ? document.activeElement : null;
    const sel = active && "selectionStart" in active ? [active.selectionStart, active.selectionEnd] : null;
    const same = old.dataset.conversationId === fresh.dataset.conversationId;
    const oldBox = old.querySelector(".composer");
    const newBox = fresh.querySelector(".composer");
    if (keepComposer && same && oldBox && newBox) {
      if (oldBox.dataset.mode === newBox.dataset.mode) newBox.replaceWith(oldBox);
      else {
        const typed = oldBox.querySelector("#reply-text");
        const into = newBox.querySelector("#reply-text");
        if (typed && into) into.value = typed.value;
      }
    }
    const more = old.querySelector("details.thread-more-controls");
    const moreOpen = same && more && more.open;
    old.replaceWith(fresh);
    const moreNow = fresh.querySelector("details.thread-more-controls");
    if (moreOpen && moreNow) moreNow.open = true;
    showScriptOnly(fresh);
    syncSnooze();
    const now = fresh.querySelector(".thread-scroll");
    if (now) now.scrollTop = same && !atEnd ? top : 0;
    if (active && active.id && byId(active.id)) {
      const el = byId(active.id);
      el.focus();
      if (sel && "setSelectionRange" in el) el.setSelectionRange(sel[0], sel[1]);
    }
  }

  // Refreshes, coalesced and spaced (web requests count against a per-address limit): a
  // burst of events is one fetch, and a busy inbox fetches the list at most every 2 s.
  const timers = {};
  const last = {};
  function later(key, gap, fn) {
    if (timers[key]) return; // the one already planned fetches the newest state
    const wait = Math.max(150, (last[key] || 0) + gap - Date.now());
    timers[key] = setTimeout(async () => {
      timers[key] = null;
      last[key] = Date.now();
      try {
        await fn();
      } catch (_) {
        setTimeout(() => later(key, gap, fn), 5000); // refused or offline: try again later
      }
    }, wait);
  }
  function refreshList() {
    later("list", 2000, async () => {
      swapRows(parse(await fetchHtml(root.dataset.listUrl + location.search)).getElementById("inbox-rows"));
    });
  }
  const threadUrl = (id, search) => base + "/" + encodeURIComponent(id) + "/thread" + (search ?? location.search);
  function refreshThread() {
    if (!openId()) return;
    later("thread", 1000, async () => {
      const id = openId();
      const html = id && (await fetchHtml(threadUrl(id)));
      // Another conversation may have been opened meanwhile: this one is no longer shown.
      if (html && openId() === id) swapThread(parse(html).getElementById("inbox-thread"), true);
    });
  }

  // Opening a conversation in place; the address follows, so a reload shows the same.
  async function openConversation(id, href, focusList) {
    try {
      const fresh = parse(await fetchHtml(threadUrl(id, new URL(href, location.href).search)));
      history.pushState({ c: id }, "", href);
      swapThread(fresh.getElementById("inbox-thread"), false);
      root.classList.add("has-thread");
      markActive(id);
      document.querySelectorAll("input[type=hidden][name=c]").forEach((i) => (i.value = id));
      const heading = byId("thread-heading");
      if (heading) document.title = heading.textContent + " · Inbox · Sellcast";
      const link = document.querySelector('.conv-row.active .conv-link');
      if (focusList && visible(link)) link.focus();
      else if (heading) {
        heading.tabIndex = -1;
        heading.focus();
      }
    } catch (_) {
      location.href = href;
    }
  }
  window.addEventListener("popstate", () => location.reload());

  document.addEventListener("click", (e) => {
    const link = e.target.closest && e.target.closest("a.conv-link");
    if (!link || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    openConversation(link.closest(".conv-row").dataset.conversationId, link.href, false);
  });

  // Forms sent in place: the answer is the inbox page (after the redirect, or with the errors
  // when refused); its list and thread replace ours. A second submit while one is on its way
  // is ignored, so a double click sends once.
  document.addEventListener("submit", async (e) => {
    const form = e.target;
    if (!(form instanceof HTMLFormElement) || !form.matches("[data-inline]") || e.defaultPrevented) return;
    e.preventDefault();
    if (form.dataset.busy) return;
    form.dataset.busy = "1";
    const data = new FormData(form);
    if (e.submitter && e.submitter.name) data.append(e.submitter.name, e.submitter.value);
    const formId = form.id;
    try {
      const res = await fetch(form.action, { method: "POST", body: new URLSearchParams(data), credentials: "same-origin" });
      if (!res.ok && res.status !== 400) throw new Error("HTTP " + res.status);
      const doc = parse(await res.text());
      const page = doc.querySelector(".inbox");
      if (!page) throw new Error("not the inbox");
      if (res.status !== 400) history.replaceState(null, "", res.url);
      const flash = doc.querySelector(".flash");
      if (flash) toast(flash.textContent.trim());
      root.classList.toggle("has-thread", page.classList.contains("has-thread"));
      swapRows(doc.getElementById("inbox-rows"));
      swapThread(doc.getElementById("inbox-thread"), formId !== "reply-form");
      const tryIt = doc.getElementById("try-sandbox");
      if (formId === "sandbox-form" && res.status === 400 && tryIt && byId("try-sandbox")) byId("try-sandbox").replaceWith(tryIt);
      if (res.status === 400) {
        const target = document.querySelector(".inbox [aria-invalid=true]") || document.querySelector(".inbox .alert.error");
        if (target) {
          if (!target.matches("input, select, textarea")) target.tabIndex = -1;
          target.focus();
        }
      } else if (formId === "reply-form" && byId("reply-text")) {
        byId("reply-text").focus();
      } else if (byId(formId)) {
        (byId(formId).querySelector("button[type=submit]") || byId(formId)).focus();
      }
    } catch (_) {
      // Error pages (403, 404, a lost session) show the ordinary way, with the button pressed.
      delete form.dataset.busy;
      if (e.submitter && e.submitter.name && form.isConnected) {
        const pressed = document.createElement("input");
        Object.assign(pressed, { type: "hidden", name: e.submitter.name, value: e.submitter.value });
        form.appendChild(pressed);
      }
      HTMLFormElement.prototype.submit.call(form);
      return;
    }
    delete form.dataset.busy;
    syncSandbox();
  });

  // Keyboard shortcuts (help: "?").
  function move(delta) {
    const rows = [...document.querySelectorAll(".conv-row")];
    if (!rows.length) return;
    const at = rows.findIndex((r) => r.classList.contains("active"));
    const next = rows[at < 0 ? 0 : Math.min(rows.length - 1, Math.max(0, at + delta))];
    if (next && next !== rows[at]) openConversation(next.dataset.conversationId, next.querySelector(".conv-link").href, true);
  }
  const typingIn = (t) =>
    t && (t.isContentEditable || t.tagName === "TEXTAREA" || t.tagName === "SELECT" ||
      (t.tagName === "INPUT" && !["checkbox", "radio", "button", "submit"].includes(t.type)));
  document.addEventListener("keydown", (e) => {
    const t = e.target;
    if (t && t.id === "reply-text" && e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      t.form.requestSubmit();
      return;
    }
    if (typingIn(t)) {
      if (e.key === "Escape" && t.closest(".composer")) t.blur();
      return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const resolve = byId("resolve-form");
    const reply = byId("reply-text") || byId("template-name");
    const help = byId("shortcuts");
    const actions = {
      j: () => move(1),
      k: () => move(-1),
      r: () => reply && reply.focus(),
      e: () => resolve && resolve.querySelector("input[name=status]").value === "resolved" && resolve.requestSubmit(),
      "?": () => {
        if (!help) return;
        help.open = !help.open;
        help.querySelector("summary").focus();
      },
    };
    if (actions[e.key]) {
      e.preventDefault();
      actions[e.key]();
    }
  });

  // Small helpers of the forms: the snooze time only for "snoozed", the post only for
  // comments, more template parameters, and the character count.
  function syncSnooze() {
    const status = byId("status-select");
    const field = document.querySelector(".snooze-field");
    if (status && field) field.hidden = status.value !== "snoozed" && !field.classList.contains("has-error");
  }
  function syncSandbox() {
    const kind = byId("sandbox-kind");
    const post = document.querySelector(".sandbox-post");
    if (kind && post) post.hidden = kind.value !== "comment";
  }
  syncSnooze();
  syncSandbox();
  document.addEventListener("change", (e) => {
    if (e.target.id === "status-select") syncSnooze();
    if (e.target.id === "sandbox-kind") syncSandbox();
  });
  document.addEventListener("input", (e) => {
    const box = e.target;
    if (box.id !== "reply-text") return;
    const count = byId("reply-count");
    const max = Number(box.dataset.max || 0);
    const n = [...box.value].length;
    if (!count || !max) return;
    count.textContent = n > max * 0.8 ? n + " / " + max : "";
    count.classList.toggle("over", n > max);
  });
  document.addEventListener("click", (e) => {
    if (!e.target.closest || !e.target.closest("#add-param")) return;
    const list = byId("template-params");
    const last = list && list.lastElementChild;
    if (!last) return;
    const n = list.children.length + 1;
    const copy = last.cloneNode(true);
    copy.querySelector("label").setAttribute("for", "param-" + n);
    copy.querySelector("label").firstChild.textContent = "Parameter {{" + n + "}}";
    const input = copy.querySelector("input");
    input.id = "param-" + n;
    input.value = "";
    list.appendChild(copy);
    input.focus();
  });

  // Live: the workspace's event stream says what changed; the server draws it.
  if (org && "EventSource" in window) {
    const es = new EventSource("/api/v1/orgs/" + encodeURIComponent(org) + "/events");
    const on = (kind, fn) =>
      es.addEventListener(kind, (e) => {
        try {
          fn(JSON.parse(e.data));
        } catch (_) { /* a malformed event is skipped */ }
      });
    on("message.created", (d) => {
      refreshList();
      if (d.conversation_id === openId()) refreshThread();
      if (d.message && d.message.direction === "inbound") {
        say("New message" + (d.message.text ? ": " + d.message.text.slice(0, 80) : "."));
      }
    });
    on("message.updated", (d) => {
      if (d.conversation_id === openId()) refreshThread();
      if (d.message && d.message.delivery === "failed") say("A reply could not be sent.");
    });
    on("conversation.updated", (d) => {
      refreshList();
      if (d.conversation && d.conversation.id === openId()) refreshThread();
    });
    window.addEventListener("beforeunload", () => es.close());
  }
})();
