// "/" focuses the header's record jump box (templates/admin/record_jump_form.html) on pages without a list;
// on a list, unfold's own "/" focuses the list's search box, which opens record numbers too.
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    var active = document.activeElement;
    var tag = active ? active.tagName.toLowerCase() : "";
    if (tag === "input" || tag === "textarea" || tag === "select" || (active && active.isContentEditable)) return;
    if (document.getElementById("searchbar")) return;
    var box = document.getElementById("record-jump-input");
    if (!box) return;
    event.preventDefault();
    box.focus();
  });
})();
