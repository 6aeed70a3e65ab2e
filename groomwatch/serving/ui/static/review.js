// Keyboard shortcuts for the review pages; the keys are listed on each page.
(function () {
  "use strict";

  // Keys typed into a text field are text, not shortcuts; a focused checkbox is not a field.
  function typing(event) {
    var target = event.target;
    var tag = target.tagName;
    if (tag === "INPUT") return !/^(checkbox|radio|button|submit)$/.test(target.type);
    return tag === "TEXTAREA" || tag === "SELECT";
  }

  function mover(items, className) {
    var index = -1;
    return function (step) {
      if (!items.length) return null;
      if (index >= 0) items[index].classList.remove(className);
      index = Math.max(0, Math.min(items.length - 1, index + step));
      items[index].classList.add(className);
      items[index].scrollIntoView({ block: "nearest" });
      return items[index];
    };
  }

  function reviewPage(form) {
    var conversation = document.getElementById("conversation");
    var toggle = document.getElementById("show-text");
    var move = mover(conversation.querySelectorAll(".message"), "current");
    toggle.addEventListener("change", function () {
      conversation.classList.toggle("blurred", !toggle.checked);
    });
    var actions = {
      j: function () { move(1); },
      k: function () { move(-1); },
      b: function () { toggle.click(); },
    };
    form.querySelectorAll("button[data-key]").forEach(function (button) {
      actions[button.dataset.key] = function () { form.requestSubmit(button); };
    });
    return actions;
  }

  function queuePage(table) {
    var rows = table.querySelectorAll("tr.item");
    var current = null;
    var move = mover(rows, "current");
    var next = document.getElementById("next-form");
    return {
      j: function () { current = move(1); },
      k: function () { current = move(-1); },
      n: function () { if (next) next.requestSubmit(); },
      Enter: function () {
        var open = current && current.querySelector("form");
        if (open) open.requestSubmit();
      },
    };
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("decision");
    var table = document.getElementById("queue");
    var actions = form ? reviewPage(form) : table ? queuePage(table) : {};
    document.addEventListener("keydown", function (event) {
      if (typing(event) || event.ctrlKey || event.metaKey || event.altKey) return;
      var action = actions[event.key];
      if (action) {
        event.preventDefault();
        action();
      }
    });
  });
})();
