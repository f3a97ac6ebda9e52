// Small and dependency-free: the report must open from disk with no network.
document.addEventListener("click", function (e) {
  var item = e.target.closest(".item.frame");
  if (item) { item.classList.toggle("open"); }
});
function toggleBookkeeping(box) { document.body.classList.toggle("hide-bookkeeping", box.checked); }
document.addEventListener("DOMContentLoaded", function () {
  var box = document.getElementById("hide-bookkeeping");
  if (box) { toggleBookkeeping(box); }
  if (location.hash) { var d = document.querySelector(location.hash); if (d && d.tagName === "DETAILS") d.open = true; }
});
