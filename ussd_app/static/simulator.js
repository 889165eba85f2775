// The simulator's script: a file, since the Content-Security-Policy allows no inline script.
// Africa's Talking answers each hop in its HTTP response; bdapps acknowledges and posts the
// screen to its send URL, which in development is the simulator's receiver: the page asks
// it for the screen the platform got.
let sessionId = null, gateway = null, history = [], requests = 0;
const $ = (id) => document.getElementById(id);
const post = (url, fields) => fetch(url, {method: "POST", body: new URLSearchParams(fields)});
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function hopAfricasTalking() {
  const body = {sessionId, serviceCode: "*123#", phoneNumber: $("number").value, text: history.join("*")};
  const response = await post("/ussd/africastalking", body);
  const reply = await response.text();
  if (!response.ok) return {error: "Gateway error " + response.status};
  return {text: reply.slice(4), end: reply.startsWith("END"), budget: response.headers.get("X-Ussd-Budget") || ""};
}

async function hopBdapps(answer) {
  requests += 1;
  const body = {
    message: answer === null ? "*123#" : answer, ussdOperation: answer === null ? "mo-init" : "mo-cont",
    sessionId, sourceAddress: "tel:" + $("number").value.replace(/^\+/, ""), applicationId: $("bdapps").dataset.app,
    encoding: "440", requestId: sessionId + "-" + requests, version: "1.0"};
  const response = await fetch("/ussd/bdapps", {method: "POST", headers: {"Content-Type": "application/json"},
    body: JSON.stringify(body)});
  if (!response.ok) return {error: "Gateway error " + response.status};
  for (let tries = 0; tries < 50; tries++) {  // the screen arrives once the send job ran
    const screen = (await (await post("/simulator/bdapps/screen", {gateway, sessionId})).json()).screen;
    if (screen) {
      return {text: screen.message, end: screen.ussdOperation === "mt-fin",
        budget: screen.message.length + " ASCII · " + screen.ussdOperation};
    }
    await sleep(200);
  }
  return {error: "No screen reached the send URL (is a worker running?)"};
}

async function hop(answer) {
  const reply = gateway === "bdapps" ? await hopBdapps(answer) : await hopAfricasTalking();
  if (reply.error) { $("screen").textContent = reply.error; $("state").textContent = "ended"; sessionId = null; return; }
  $("screen").textContent = reply.text;
  $("budget").textContent = reply.budget;
  $("state").textContent = reply.end ? "ended" : "waiting";
  if (reply.end) { sessionId = null; }
  refreshSms();
}

async function refreshSms() {
  const response = await post("/simulator/sms", {phone: $("number").value});
  if (!response.ok) return;
  const received = await response.json();
  const items = (texts) => texts.map((text) => {
    const item = document.createElement("li"); item.textContent = text; return item; });
  $("sms").replaceChildren(...items(received.messages));
  $("sms-replies").replaceChildren(...items(received.replies));
}

async function dial() {
  gateway = document.querySelector("input[name=gateway]:checked").value;
  const response = await post("/simulator/session", {gateway});
  sessionId = (await response.json()).sessionId; history = []; requests = 0;
  await hop(null);
}

async function send() {
  if (!sessionId) { await dial(); return; }
  const answer = $("entry").value.trim(); $("entry").value = "";
  history.push(answer);
  await hop(answer);
}

async function hangUp() {
  // The server forgets the session and the phone's resume point: the next dial starts afresh.
  if (sessionId) await post("/simulator/hangup", {gateway, sessionId});
  sessionId = null; $("state").textContent = "idle"; $("screen").textContent = "Hung up.";
}

async function sendSms(event) {
  event.preventDefault();
  const response = await post("/simulator/sms/send", {phone: $("number").value, text: $("sms-text").value});
  if (!response.ok) {
    const answer = await response.json().catch(() => ({}));
    $("sms-status").textContent = answer.error || "Not sent: " + response.status; return;
  }
  $("sms-status").textContent = "Sent."; $("sms-text").value = "";
  for (const wait of [0, 1000, 3000]) { await sleep(wait); await refreshSms(); }  // a worker may send the reply
}

document.querySelectorAll("[data-key]").forEach((b) => b.addEventListener("click", () => {
  $("entry").value += b.dataset.key; }));
$("send").addEventListener("click", send);
document.querySelector("form.dial").addEventListener("submit", (e) => { e.preventDefault(); dial(); });
$("entry").addEventListener("keydown", (e) => { if (e.key === "Enter") send(); });
$("hangup").addEventListener("click", hangUp);
document.querySelector("form.sms").addEventListener("submit", sendSms);
