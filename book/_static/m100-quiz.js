/* Self-check quizzes of the M100 course book (the {m100-quiz} directive,
   book/_ext/m100_quiz.py): answers are checked on the page, nothing is sent anywhere.
   Plain ES2017, no library. The numeric rule is the one of m100_quiz.read_number and
   is_right (tests/test_quiz.py runs both on the same inputs). */
(function () {
  "use strict";

  var THOUSANDS = {
    en: /^\d{1,3}(,\d{3})+(\.\d*)?$/,
    ro: /^\d{1,3}(\.\d{3})+(,\d*)?$/
  };
  var PLAIN = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

  /* The number a learner typed, or null: a decimal point or comma, thousands grouped the
     edition's way, spaces ignored, a final "%" divides by 100. */
  function readNumber(text, lang) {
    var s = String(text || "").replace(/[\s\u00a0\u202f]/g, "").replace(/\u2212/g, "-");
    var scale = 1;
    if (s.endsWith("%")) {
      s = s.slice(0, -1);
      scale = 0.01;
    }
    var sign = "";
    if (s && "+-".indexOf(s[0]) >= 0) {
      sign = s[0];
      s = s.slice(1);
    }
    var ro = lang === "ro";
    if (THOUSANDS[ro ? "ro" : "en"].test(s)) {
      s = ro ? s.split(".").join("").replace(",", ".") : s.split(",").join("");
    } else {
      s = s.split(",").join(".");
    }
    s = sign + s;
    if (!PLAIN.test(s)) {
      return null;
    }
    var value = parseFloat(s) * scale;
    return isFinite(value) ? value : null;
  }

  /* Within the relative tolerance of the answer (absolute when the answer is 0). */
  function isRight(value, answer, tolerance) {
    if (answer) {
      return Math.abs(value - answer) <= tolerance * Math.abs(answer) * (1 + 1e-12);
    }
    return Math.abs(value) <= tolerance;
  }

  function show(item, words, state) {
    var feedback = item.querySelector(".m100-quiz-feedback");
    var explanation = item.querySelector(".m100-quiz-explanation");
    item.classList.remove("m100-quiz-right", "m100-quiz-wrong");
    if (state === "invalid") {
      feedback.textContent = words.invalid;
      return;
    }
    item.classList.add(state === "right" ? "m100-quiz-right" : "m100-quiz-wrong");
    feedback.textContent = state === "right" ? "\u2713 " + words.correct : "\u2717 " + words.wrong;
    if (explanation) {
      explanation.hidden = false;
    }
  }

  function setUp(quiz) {
    var words = {};
    try {
      words = JSON.parse(quiz.getAttribute("data-words") || "{}");
    } catch (err) {
      words = {};
    }
    words.correct = words.correct || "Correct";
    words.wrong = words.wrong || "Not yet";
    words.invalid = words.invalid || "Type a number";
    var lang = quiz.getAttribute("lang") || "en";
    quiz.querySelectorAll(".m100-quiz-question").forEach(function (item) {
      var answer = item.getAttribute("data-answer");
      if (item.getAttribute("data-type") === "choice") {
        var buttons = item.querySelectorAll(".m100-quiz-choice");
        buttons.forEach(function (button) {
          button.setAttribute("aria-pressed", "false");
          button.addEventListener("click", function () {
            buttons.forEach(function (b) {
              b.setAttribute("aria-pressed", b === button ? "true" : "false");
            });
            show(item, words, button.getAttribute("data-choice") === answer ? "right" : "wrong");
          });
        });
      } else {
        var form = item.querySelector(".m100-quiz-numeric");
        var input = item.querySelector(".m100-quiz-input");
        var expected = parseFloat(answer);
        var tolerance = parseFloat(item.getAttribute("data-tolerance") || "0");
        form.addEventListener("submit", function (event) {
          event.preventDefault();
          var value = readNumber(input.value, lang);
          if (value === null) {
            show(item, words, "invalid");
          } else {
            show(item, words, isRight(value, expected, tolerance) ? "right" : "wrong");
          }
        });
      }
    });
  }

  window.M100Quiz = { readNumber: readNumber, isRight: isRight };

  function start() {
    document.querySelectorAll(".m100-quiz").forEach(setUp);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
