// Behaviour of the shell. No inline scripts are allowed (CSP), so page code lives in files like this.
(function () {
  "use strict";

  // Mobile navigation toggle.
  document.addEventListener("click", function (e) {
    var btn = e.target.closest(".nav-toggle");
    if (!btn) return;
    var nav = document.getElementById(btn.getAttribute("aria-controls"));
    var open = btn.getAttribute("aria-expanded") !== "true";
    btn.setAttribute("aria-expanded", open ? "true" : "false");
    if (nav) nav.classList.toggle("open", open);
  });

  // <form data-confirm="…"> and <button data-confirm="…"> ask before submitting.
  document.addEventListener("submit", function (e) {
    var form = e.target;
    var btn = e.submitter;
    var msg = (btn && btn.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) e.preventDefault();
  }, true);

  // <button data-print> prints the page (print stylesheet hides the chrome).
  document.addEventListener("click", function (e) {
    if (e.target.closest("[data-print]")) window.print();
  });

  // Move focus to the error summary so keyboard and screen-reader users hear it.
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.querySelector(".error-summary");
    if (summary) summary.focus();
  });

  // Show failed htmx requests instead of doing nothing.
  document.addEventListener("htmx:responseError", function (e) {
    var box = document.getElementById("htmx-error");
    if (!box) return;
    var status = e.detail.xhr ? e.detail.xhr.status : 0;
    box.textContent = (document.documentElement.lang === "en" ? "Request failed" : "操作未成功") + " (" + status + ")";
    box.classList.remove("hidden");
  });
  document.addEventListener("htmx:sendError", function () {
    var box = document.getElementById("htmx-error");
    if (!box) return;
    box.textContent = document.documentElement.lang === "en" ? "Network error, please retry" : "网络异常，请重试";
    box.classList.remove("hidden");
  });
})();
