// The login form posts JSON (the server takes no form posts: a page of another site
// could send one); the answer sets the session and CSRF cookies.
const form = document.getElementById("login");
const message = document.getElementById("message");

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  message.textContent = "";
  const response = await fetch("/auth/login", {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify({ user: form.user.value, password: form.password.value }),
  });
  if (response.ok) {
    window.location.assign("/dashboards/");
  } else {
    message.textContent = "Wrong user id or password.";
  }
});
