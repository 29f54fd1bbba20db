// Uploads a document with a progress bar. Without this script the form
// posts normally and the page comes back the same way.
(function () {
  "use strict";
  document.querySelectorAll("form[data-upload]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      var input = form.querySelector("input[type=file]");
      if (!input.files.length || !window.FormData) {
        return;
      }
      event.preventDefault();
      var bar = form.querySelector("progress");
      var button = form.querySelector("button");
      bar.hidden = false;
      button.disabled = true;
      var request = new XMLHttpRequest();
      request.open("POST", form.action);
      request.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) {
          bar.value = Math.round((e.loaded / e.total) * 100);
        }
      });
      // The answer is the page to show next (the redirect was followed, and
      // its flash message is in it), or the page with the error beside the
      // document: either way it replaces this one.
      request.addEventListener("load", function () {
        if (request.responseURL) {
          window.history.replaceState(null, "", request.responseURL);
        }
        document.open();
        document.write(request.responseText);
        document.close();
      });
      request.addEventListener("error", function () {
        bar.hidden = true;
        button.disabled = false;
        window.alert("The upload failed. Check your connection and try again.");
      });
      request.send(new FormData(form));
    });
  });
})();
