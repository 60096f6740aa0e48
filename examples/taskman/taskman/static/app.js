// Ask before destructive actions: any form with data-confirm="..." shows that question first.
// Without JavaScript the forms still work (and /tasks/<id>/delete has its own confirmation page).
"use strict";
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!(form instanceof HTMLFormElement)) return;
  var question = form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) event.preventDefault();
});
