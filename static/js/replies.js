// The reply form: a starting point (an approved statement, a support script, a
// prepared answer) fills the reply and says which statement it quotes.
document.addEventListener("click", function (evt) {
  var button = evt.target.closest && evt.target.closest(".use-point");
  if (!button) return;
  var text = document.getElementById("reply-text");
  text.value = button.dataset.text;
  document.getElementById("reply-statement").value = button.dataset.statement;
  text.focus();
});
