// Card mode only: Stripe Elements turns the card into a PaymentMethod id, which the form posts.
(function () {
  "use strict";
  var form = document.getElementById("pay-form");
  if (form && window.Stripe) {
    var stripe = window.Stripe(form.dataset.stripeKey);
    var card = stripe.elements().create("card");
    card.mount("#card-element");
    form.addEventListener("submit", function (event) {
      if (document.getElementById("payment-method").value) { return; }
      event.preventDefault();
      stripe.createPaymentMethod({ type: "card", card: card }).then(function (result) {
        if (result.error) {
          document.getElementById("card-errors").textContent = result.error.message;
          return;
        }
        document.getElementById("payment-method").value = result.paymentMethod.id;
        form.submit();
      });
    });
  }
  var confirmButton = document.getElementById("confirm-payment");
  if (confirmButton && window.Stripe) {
    var stripe2 = window.Stripe(confirmButton.dataset.stripeKey);
    confirmButton.addEventListener("click", function () {
      stripe2.handleNextAction({ clientSecret: confirmButton.dataset.clientSecret }).then(function () {
        window.location.reload();
      });
    });
  }
})();
