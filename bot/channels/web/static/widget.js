/* An Toàn Số widget for the ward's website:
     <script src="https://tro-ly.example.vn/widget.js" defer></script>
   adds a "Hỏi Trợ lý An Toàn Số" button that opens the chat in a frame served by the assistant. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || document.getElementById("ats-widget-button")) return;
  var base = new URL(".", script.src).href;
  var open = false;
  var panel = null;

  var button = document.createElement("button");
  button.id = "ats-widget-button";
  button.type = "button";
  button.textContent = "💬 Hỏi Trợ lý An Toàn Số";
  button.setAttribute("aria-expanded", "false");
  button.setAttribute("aria-controls", "ats-widget-panel");
  style(button, {
    position: "fixed", right: "16px", bottom: "16px", zIndex: "2147483000", padding: "12px 18px",
    font: "600 16px system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif", color: "#fff",
    background: "#0b4f8a", border: "2px solid #fff", borderRadius: "24px", cursor: "pointer",
    boxShadow: "0 2px 8px rgba(0,0,0,.35)"
  });

  function style(element, rules) {
    for (var key in rules) element.style[key] = rules[key];
  }

  function build() {
    panel = document.createElement("div");
    panel.id = "ats-widget-panel";
    panel.setAttribute("role", "dialog");
    panel.setAttribute("aria-label", "Trợ lý An Toàn Số");
    var small = window.matchMedia("(max-width: 480px)").matches;
    style(panel, {
      position: "fixed", zIndex: "2147483001", background: "#fff", display: "flex", flexDirection: "column",
      boxShadow: "0 4px 24px rgba(0,0,0,.4)", overflow: "hidden",
      right: small ? "0" : "16px", bottom: small ? "0" : "80px",
      width: small ? "100%" : "380px", height: small ? "100%" : "min(640px, calc(100vh - 100px))",
      borderRadius: small ? "0" : "12px"
    });
    var bar = document.createElement("div");
    style(bar, { display: "flex", alignItems: "center", justifyContent: "space-between", padding: "4px 4px 4px 12px",
      background: "#0b3d6b", color: "#fff", font: "700 16px system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif" });
    var title = document.createElement("span");
    title.textContent = "Trợ lý An Toàn Số";
    bar.appendChild(title);
    var close = document.createElement("button");
    close.type = "button";
    close.textContent = "✕ Đóng";
    close.setAttribute("aria-label", "Đóng khung trò chuyện");
    style(close, {
      padding: "8px 12px", font: "600 15px system-ui, Arial, sans-serif", color: "#0b3d6b", background: "#fff",
      border: "2px solid #fff", borderRadius: "8px", cursor: "pointer"
    });
    close.addEventListener("click", toggle);
    var frame = document.createElement("iframe");
    frame.src = base;
    frame.title = "Trợ lý An Toàn Số";
    style(frame, { flex: "1 1 auto", width: "100%", border: "0" });
    bar.appendChild(close);
    panel.appendChild(bar);
    panel.appendChild(frame);
    document.body.appendChild(panel);
    panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape") toggle();
    });
  }

  function toggle() {
    open = !open;
    if (open && !panel) build();
    panel.style.display = open ? "flex" : "none";
    button.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) panel.querySelector("iframe").focus();
    else button.focus();
  }

  button.addEventListener("click", toggle);
  (document.body ? Promise.resolve() : new Promise(function (r) { document.addEventListener("DOMContentLoaded", r); }))
    .then(function () { document.body.appendChild(button); });
})();
