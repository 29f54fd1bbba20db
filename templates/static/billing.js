// Shows the Indian fields (state, PIN code, PAN, GSTIN) or the others
// (region, postal code) for the chosen country.
(function () {
  "use strict";
  var country = document.getElementById("country");
  if (!country) {
    return;
  }
  function update() {
    var india = country.value === "IN";
    document.querySelector("[data-country=india]").hidden = !india;
    document.querySelector("[data-country=other]").hidden = india;
  }
  country.addEventListener("change", update);
  update();
})();
