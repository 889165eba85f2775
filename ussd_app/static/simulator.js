// The simulator's script: a file, since the Content-Security-Policy allows no inline script.
let sessionId = null, history = [];
const $ = (id) => document.getElementById(id);
async function hop(text) {
  const body = new URLSearchParams({sessionId, serviceCode: "*123#", phoneNumber: $("number").value, text});
  const response = await fetch("/ussd/africastalking", {method: "POST", body});
  const reply = await response.text();
  $("budget").textContent = response.headers.get("X-Ussd-Budget") || "";
  if (!response.ok) { $("screen").textContent = "Gateway error " + response.status; sessionId = null; return; }
  $("screen").textContent = reply.slice(4);
  $("state").textContent = reply.startsWith("END") ? "ended" : "waiting";
  if (reply.startsWith("END")) { sessionId = null; }
  refreshSms();
}
async function refreshSms() {
  const response = await fetch("/simulator/sms", {method: "POST", body: new URLSearchParams({phone: $("number").value})});
  if (!response.ok) return;
  const list = $("sms");
  list.replaceChildren(...(await response.json()).messages.map((text) => {
    const item = document.createElement("li"); item.textContent = text; return item; }));
}
function dial() { sessionId = "sim-" + Math.random().toString(36).slice(2); history = []; hop(""); }
function send() {
  if (!sessionId) { dial(); return; }
  history.push($("entry").value.trim()); $("entry").value = "";
  hop(history.join("*"));
}
document.querySelectorAll("[data-key]").forEach((b) => b.addEventListener("click", () => {
  $("entry").value += b.dataset.key; }));
$("send").addEventListener("click", send);
document.querySelector("form.dial").addEventListener("submit", (e) => { e.preventDefault(); dial(); });
$("entry").addEventListener("keydown", (e) => { if (e.key === "Enter") send(); });
$("hangup").addEventListener("click", () => { sessionId = null; $("state").textContent = "idle";
  $("screen").textContent = "Hung up."; });
