// Shows the company name field only for company accounts. Without this
// script the field stays visible and is ignored for individuals.
(function () {
  "use strict";
  var type = document.getElementById("account_type");
  var company = document.querySelector("[data-company-only]");
  if (!type || !company) {
    return;
  }
  function update() {
    company.hidden = type.value !== "company";
  }
  type.addEventListener("change", update);
  update();
})();
