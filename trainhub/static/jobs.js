/* Job page: poll the job's status JSON and update every field that changes (status,
   progress bar, counts, start and end time, worker); reload once the job has ended
   (succeeded, failed or interrupted) so that the server renders the result, the error or
   the rerun button. Without JavaScript the page shows the state at load time and a
   refresh link. */
(function () {
  "use strict";

  var card = document.getElementById("job-progress");
  if (!card || !window.fetch || card.getAttribute("data-job-finished") === "true") {
    return;
  }
  var url = card.getAttribute("data-job-status-url");
  var bar = card.querySelector(".progress-bar");
  var track = card.querySelector(".progress");
  var badge = card.querySelector("[data-job-field=status]");
  var counts = card.querySelector("[data-job-field=counts]");
  var hint = card.querySelector("[data-job-field=hint]");
  var queuedHint = card.querySelector("[data-job-field=queued_hint]");
  var texts = ["started_at_text", "finished_at_text", "worker_text"].map(function (name) {
    return {name: name, node: document.querySelector("[data-job-field=" + name + "]")};
  });
  var colours = {queued: "secondary", running: "primary", succeeded: "success", failed: "danger",
                 interrupted: "warning"};
  var interval = 1500;
  var failures = 0;

  function render(data) {
    if (badge) {
      badge.textContent = data.status_label;
      badge.className = "badge text-bg-" + (colours[data.status] || "secondary");
    }
    if (counts && data.progress_total !== null) {
      counts.textContent = "已完成 " + data.progress_done + " / " + data.progress_total + " 步";
    }
    if (queuedHint && data.status !== "queued") {
      queuedHint.hidden = true;
    }
    texts.forEach(function (text) {
      if (text.node && typeof data[text.name] === "string") {
        text.node.textContent = data[text.name];
      }
    });
    if (data.percent === null) {
      bar.style.width = "100%";
      bar.textContent = data.status_label + "…";
      bar.classList.add("progress-bar-striped", "progress-bar-animated");
    } else {
      bar.style.width = data.percent + "%";
      bar.textContent = data.percent + "%";
      bar.classList.remove("progress-bar-striped", "progress-bar-animated");
      track.setAttribute("aria-valuenow", String(data.percent));
    }
  }

  function poll() {
    fetch(url, {credentials: "same-origin", cache: "no-store", headers: {Accept: "application/json"}})
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (!response.ok || type.indexOf("application/json") === -1) {
          throw new Error("status " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        failures = 0;
        render(data);
        if (data.finished) {
          window.location.reload();  // the server renders the result or the error
        } else {
          window.setTimeout(poll, interval);
        }
      })
      .catch(function () {
        failures += 1;
        if (failures < 5) {
          window.setTimeout(poll, interval * (failures + 1));
        } else if (hint) {
          hint.insertAdjacentText("afterbegin", "暂时无法获取最新进度。");
        }
      });
  }

  window.setTimeout(poll, 1000);
})();
