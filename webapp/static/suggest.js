/* Dossier: completions under the search box, as progressive enhancement.
 *
 * Without this script the search box is a plain GET form and everything works.
 * With it, the box becomes a WAI-ARIA combobox (the APG "list autocomplete with
 * manual selection" pattern): completions from /api/suggest appear in a listbox
 * below it; Down and Up move through them (aria-activedescendant keeps focus in
 * the box), Enter runs the highlighted one, Escape closes the list, and a polite
 * live region says how many there are. No inline script or style: the CSP allows
 * only this file (script-src 'self'). The second part, below, posts a search
 * whose address would be too long. */
(function () {
  "use strict";

  var DELAY_MS = 120;
  var LANGUAGES = ["en", "de", "ru", "tr", "az"];
  var KINDS = { word: "word", phrase: "phrase", name: "name", organization: "organization" };

  function enhance(input) {
    var form = input.form;
    if (!form || !window.fetch) {
      return;
    }
    var listId = input.id + "-suggestions";
    var list = document.createElement("ul");
    list.id = listId;
    list.className = "suggestions";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Suggestions");
    list.hidden = true;

    var status = document.createElement("div");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");

    input.insertAdjacentElement("afterend", list);
    form.appendChild(status);
    form.classList.add("has-suggestions");

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listId);

    var lang = (navigator.language || "").slice(0, 2).toLowerCase();
    if (LANGUAGES.indexOf(lang) < 0) {
      lang = "";
    }
    var items = [];
    var active = -1;
    var timer = null;
    var pending = null;
    var asked = 0;
    var lastAnnounced = "";

    function announce(text) {
      if (text !== lastAnnounced) {
        status.textContent = text;
        lastAnnounced = text;
      }
    }

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function open() {
      if (items.length) {
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
      }
    }

    function highlight(index) {
      var options = list.children;
      for (var i = 0; i < options.length; i++) {
        var on = i === index;
        options[i].setAttribute("aria-selected", on ? "true" : "false");
        options[i].classList.toggle("is-active", on);
      }
      active = index;
      if (index >= 0) {
        input.setAttribute("aria-activedescendant", options[index].id);
        options[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function choose(index) {
      input.value = items[index].text;
      close();
      if (form.requestSubmit) {
        form.requestSubmit();
      } else {
        form.submit();
      }
    }

    function render(suggestions) {
      items = suggestions;
      list.textContent = "";
      suggestions.forEach(function (suggestion, i) {
        var option = document.createElement("li");
        option.id = listId + "-" + i;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        var text = document.createElement("span");
        text.className = "suggestion-text";
        text.textContent = suggestion.text;
        var kind = document.createElement("span");
        kind.className = "suggestion-kind";
        kind.textContent = ", " + (KINDS[suggestion.kind] || suggestion.kind);
        option.appendChild(text);
        option.appendChild(kind);
        option.addEventListener("mousedown", function (event) {
          event.preventDefault(); // keep focus in the box
        });
        option.addEventListener("click", function () {
          choose(i);
        });
        list.appendChild(option);
      });
      active = -1;
      input.removeAttribute("aria-activedescendant");
      if (suggestions.length) {
        open();
        announce(
          suggestions.length + (suggestions.length === 1 ? " suggestion" : " suggestions") +
          " available; use the up and down arrow keys to choose."
        );
      } else {
        close();
        announce("No suggestions.");
      }
    }

    function fetchSuggestions() {
      var query = input.value.replace(/^\s+/, "");
      if (!query.trim() || query.length > 200) {
        render([]);
        lastAnnounced = "";
        status.textContent = "";
        return;
      }
      var url = "/api/suggest?q=" + encodeURIComponent(query) + (lang ? "&lang=" + lang : "");
      if (pending) {
        pending.abort();
      }
      pending = new AbortController();
      var ticket = ++asked;
      fetch(url, { signal: pending.signal, headers: { Accept: "application/json" } })
        .then(function (response) {
          return response.ok ? response.json() : { suggestions: [] };
        })
        .then(function (body) {
          if (ticket === asked && document.activeElement === input) {
            render(body.suggestions || []);
          }
        })
        .catch(function () {
          /* aborted or offline: the plain form still works */
        });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(fetchSuggestions, DELAY_MS);
    });

    input.addEventListener("keydown", function (event) {
      var count = items.length;
      if (event.key === "ArrowDown" || event.key === "Down") {
        if (!count) {
          return;
        }
        event.preventDefault();
        if (list.hidden) {
          open();
          highlight(0);
        } else {
          highlight(active + 1 >= count ? 0 : active + 1);
        }
      } else if (event.key === "ArrowUp" || event.key === "Up") {
        if (!count) {
          return;
        }
        event.preventDefault();
        if (list.hidden) {
          open();
          highlight(count - 1);
        } else {
          highlight(active <= 0 ? count - 1 : active - 1);
        }
      } else if (event.key === "Enter") {
        if (!list.hidden && active >= 0) {
          event.preventDefault();
          choose(active);
        }
      } else if (event.key === "Escape" || event.key === "Esc") {
        if (!list.hidden) {
          event.preventDefault();
          close();
        }
      } else if (event.key === "Tab") {
        close();
      }
    });

    input.addEventListener("blur", function () {
      close();
    });
  }

  function start() {
    var input = document.getElementById("q");
    if (input && input.tagName === "INPUT") {
      enhance(input);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();

/* A query too long for an address is sent as a form (POST) instead.
 *
 * A GET address stops at 8,000 bytes (the server's limit, less room for links, is
 * in data-address-limit), and a pasted article in Cyrillic is 60,000 bytes
 * percent-encoded. When a search form is submitted, this measures the address it
 * would make and picks the method: GET while it fits (the address names the search
 * and can be bookmarked), POST to the same page when it does not (the server
 * answers the same search). Without this script an ordinary query works as before;
 * a long one gets the server's "address too long" page, which offers a form that
 * posts. In this file because the page loads one script (tests pin it). */
(function () {
  "use strict";

  function requestLineBytes(form) {
    var fields = new URLSearchParams(new FormData(form)).toString();
    var path = new URL(form.getAttribute("action") || "", document.baseURI).pathname;
    // URLSearchParams percent-encodes everything outside ASCII: length is bytes.
    return ("GET " + path + (fields ? "?" + fields : "") + " HTTP/1.1").length;
  }

  document.addEventListener(
    "submit",
    function (event) {
      var form = event.target;
      var limit = parseInt(form.getAttribute("data-address-limit") || "", 10);
      if (!limit || !window.URLSearchParams || !window.FormData || !window.URL) {
        return;
      }
      form.method = requestLineBytes(form) > limit ? "post" : "get";
    },
    true
  );
})();
