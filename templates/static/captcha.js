// The "I'm not a robot" check: fetch a challenge, find the number whose
// SHA-256 with the salt matches, and put the signed answer in the form.
(function () {
  "use strict";

  function hex(buffer) {
    return Array.from(new Uint8Array(buffer), function (b) { return b.toString(16).padStart(2, "0"); }).join("");
  }

  async function solve(challenge) {
    var encoder = new TextEncoder();
    for (var n = 0; n <= challenge.maxnumber; n++) {
      var digest = await crypto.subtle.digest("SHA-256", encoder.encode(challenge.salt + n));
      if (hex(digest) === challenge.challenge) {
        return n;
      }
    }
    return null;
  }

  document.querySelectorAll("[data-captcha-url]").forEach(function (widget) {
    var box = widget.querySelector("input[type=checkbox]");
    var field = widget.querySelector("input[name=altcha]");
    var status = widget.querySelector(".captcha-status");
    if (!window.crypto || !crypto.subtle) {
      status.textContent = "This browser cannot run the check.";
      return;
    }
    box.disabled = false;
    box.addEventListener("change", async function () {
      field.value = "";
      status.classList.remove("ok");
      if (!box.checked) {
        status.textContent = "";
        return;
      }
      box.disabled = true;
      status.textContent = "Checking…";
      try {
        var response = await fetch(widget.dataset.captchaUrl, { credentials: "same-origin", cache: "no-store" });
        var challenge = await response.json();
        var number = await solve(challenge);
        if (number === null) {
          throw new Error("no solution");
        }
        field.value = btoa(JSON.stringify({
          algorithm: challenge.algorithm,
          challenge: challenge.challenge,
          number: number,
          salt: challenge.salt,
          signature: challenge.signature
        }));
        status.textContent = "Verified";
        status.classList.add("ok");
      } catch (e) {
        box.checked = false;
        box.disabled = false;
        status.textContent = "The check failed. Tick the box to try again.";
      }
    });
  });
})();
