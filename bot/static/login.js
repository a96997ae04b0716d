/* Agent sign-in: posts the form as JSON (the API takes no form posts), then opens the console. */
(() => {
  "use strict";
  const form = document.getElementById("login-form");
  const error = document.getElementById("login-error");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    const body = JSON.stringify({
      email: document.getElementById("login-email").value,
      password: document.getElementById("login-password").value,
    });
    const response = await fetch("/api/agent/login", {
      method: "POST", headers: { "Content-Type": "application/json" }, body, credentials: "same-origin",
    });
    if (response.ok) {
      window.location.assign("/agent");
    } else {
      error.textContent = response.status === 401 ? "Wrong email or password." : "Sign-in failed; try again.";
      error.hidden = false;
    }
  });
})();
