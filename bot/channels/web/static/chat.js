/* An Toàn Số web chat: sends what the user typed or pressed, shows the replies.
   No framework; text is set with textContent only, links (web addresses, and the phone numbers
   the server names in a reply) are built as elements, never as HTML. */
(function () {
  "use strict";

  var log = document.getElementById("log");
  var form = document.getElementById("composer");
  var input = document.getElementById("q");
  var status = document.getElementById("status");
  var busy = false;
  var URL_RE = /https?:\/\/[^\s<>"')\]]+[^\s<>"')\].,;:!?]/g;

  var OFFLINE = "Không gửi được – anh/chị kiểm tra kết nối mạng rồi thử lại nhé. Nếu trẻ đang gặp nguy hiểm, hãy gọi ngay 111.";
  var WAITING = "Trợ lý đang trả lời…";

  function escapeRegExp(text) {
    return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }

  var WORD = /[0-9A-Za-z_\u00C0-\u024F\u1E00-\u1EFF]/; // Vietnamese letters too, without the u flag

  function ownNumber(text, at, end) {
    // Not part of a longer number or word ("1113", "Câu 1/111", "2.115", "tongdai111.vn");
    // no look-behind in the pattern: older Safari cannot parse it and the whole page would stop.
    var before = at > 0 ? text.charAt(at - 1) : "";
    var after = text.charAt(end), next = text.charAt(end + 1);
    if (WORD.test(before) || /[.\/,@-]/.test(before) || WORD.test(after)) return false;
    return !(/[.,\/-]/.test(after) && /\d/.test(next));
  }

  function textWithPhones(target, text, phones) {
    // Tap-to-call: only the numbers the server listed (its contacts: 111, 113, 115, the ward's).
    var last = 0;
    var known = (phones || []).filter(function (p) { return typeof p === "string" && p.length > 0; });
    if (known.length) {
      var sorted = known.sort(function (a, b) { return b.length - a.length; });
      var re = new RegExp(sorted.map(escapeRegExp).join("|"), "g");
      var match;
      while ((match = re.exec(text)) !== null) {
        var at = match.index, end = at + match[0].length;
        if (!ownNumber(text, at, end)) { re.lastIndex = at + 1; continue; }
        target.appendChild(document.createTextNode(text.slice(last, at)));
        var a = document.createElement("a");
        a.className = "tel";
        a.href = "tel:" + match[0].replace(/[^\d+]/g, "");
        a.textContent = match[0];
        target.appendChild(a);
        last = end;
      }
    }
    target.appendChild(document.createTextNode(text.slice(last)));
  }

  function textWithLinks(target, text, phones) {
    var last = 0;
    text.replace(URL_RE, function (url, at) {
      textWithPhones(target, text.slice(last, at), phones);
      var a = document.createElement("a");
      a.href = url;
      a.textContent = url;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      target.appendChild(a);
      last = at + url.length;
      return url;
    });
    textWithPhones(target, text.slice(last), phones);
  }

  function addMessage(kind, text, label, phones) {
    var item = document.createElement("div");
    item.className = "msg " + kind;
    item.tabIndex = -1;
    var who = document.createElement("span");
    who.className = "sr-only";
    who.textContent = label;
    item.appendChild(who);
    var body = document.createElement("p");
    body.className = "text";
    textWithLinks(body, text.replace(/\s+$/, ""), phones);
    item.appendChild(body);
    log.appendChild(item);
    return item;
  }

  function addDocument(item, doc) {
    // The file came inline (base64): a download link to it, made in the page, nothing fetched again.
    var raw = atob(doc.data);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    var link = document.createElement("a");
    link.className = "file";
    link.href = URL.createObjectURL(new Blob([bytes], { type: "application/octet-stream" }));
    link.download = doc.filename;
    link.textContent = "📎 Tải về " + doc.filename + " (" + Math.max(1, Math.round(doc.size / 1024)) + " KB)";
    item.appendChild(link);
  }

  function addReply(reply) {
    var item = addMessage("bot", reply.text, "Trợ lý nói: ", reply.phones);
    if (reply.document && reply.document.data) addDocument(item, reply.document);
    if (reply.buttons && reply.buttons.length) {
      var group = document.createElement("div");
      group.className = "choices";
      group.setAttribute("role", "group");
      group.setAttribute("aria-label", "Các lựa chọn");
      reply.buttons.forEach(function (row) {
        var line = document.createElement("div");
        line.className = "row";
        row.forEach(function (button) {
          var b = document.createElement("button");
          b.type = "button";
          b.className = "choice";
          b.textContent = button.label;
          b.setAttribute("data-payload", button.payload);
          line.appendChild(b);
        });
        group.appendChild(line);
      });
      item.appendChild(group);
    }
    return item;
  }

  function setBusy(on) {
    busy = on;
    status.textContent = on ? WAITING : "";
    log.setAttribute("aria-busy", on ? "true" : "false");
    Array.prototype.forEach.call(log.querySelectorAll(".choice"), function (b) { b.disabled = on; });
  }

  function dropOldChoices() {
    // Quick replies: once a new set of buttons arrives, the old sets go (the choice stays as a bubble).
    Array.prototype.forEach.call(log.querySelectorAll(".choices"), function (group) { group.remove(); });
  }

  function send(body, shownAs, focusReply, scroll) {
    if (busy) return Promise.resolve(false);
    if (shownAs) addMessage("user", shownAs, "Bạn: ").scrollIntoView({ block: "end" });
    setBusy(true);
    return fetch("api/message", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      credentials: "same-origin",
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok || !data.replies) {
          addMessage("notice", data.error || OFFLINE, "Lưu ý: ").scrollIntoView({ block: "end" });
          return false;
        }
        var withButtons = data.replies.some(function (r) { return r.buttons && r.buttons.length; });
        if (withButtons) dropOldChoices();
        var first = null;
        data.replies.forEach(function (reply) {
          var item = addReply(reply);
          first = first || item;
        });
        if (first && scroll !== false) {
          first.scrollIntoView({ block: "start" });
          if (focusReply) first.focus({ preventScroll: true });
        }
        return true;
      });
    }).catch(function () {
      addMessage("notice", OFFLINE, "Lưu ý: ").scrollIntoView({ block: "end" });
      return false;
    }).then(function (ok) {
      setBusy(false);
      return ok;
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text || busy) return;
    send({ text: text }, text, false).then(function (ok) {
      if (ok) input.value = ""; // on failure the text stays, so nothing typed is lost
      input.focus();
    });
  });

  log.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button.choice") : null;
    if (!button || button.disabled) return;
    send({ payload: button.getAttribute("data-payload") }, button.textContent, true);
  });

  send({ text: "/start" }, null, false, false); // the greeting: keep the page (and the 111 line) at the top
})();
