// Progressive enhancement of /upload (the form works the same without JavaScript): while
// the browser sends the file and the server checks it, an indeterminate progress bar and
// its label are shown and the button is disabled, so the file is not sent twice.
(function () {
  "use strict";
  var form = document.querySelector("form.upload");
  var busy = document.getElementById("upload-progress");
  if (!form || !busy) {
    return;
  }
  form.addEventListener("submit", function () {
    busy.hidden = false;
    var button = form.querySelector("button[type=submit]");
    if (button) {
      // After this event: disabling the submitter inside it would drop the submission.
      window.setTimeout(function () {
        button.disabled = true;
      }, 0);
    }
  });
})();
