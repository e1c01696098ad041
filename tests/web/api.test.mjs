import assert from "node:assert/strict";
import { test } from "node:test";

import { ApiError, WriteKey, createApi } from "../../chalicelib/web/api.js";
import { decodeClaims, roleOf } from "../../chalicelib/web/claims.js";
import { link, route } from "../../chalicelib/web/router.js";

function fakeFetch(answers) {
  const calls = [];
  const fn = async (url, init) => {
    calls.push({ url, init });
    const next = answers.shift();
    if (next instanceof Error) throw next;
    return new Response(next.body === undefined ? "" : next.body, { status: next.status, headers: next.headers || {} });
  };
  return { fn, calls };
}

test("a form's write keeps its key until it is answered, and a new write gets a new one", () => {
  let n = 0;
  const key = new WriteKey(() => "k" + ++n);
  assert.equal(key.for({ sessions: 5 }), "k1");
  assert.equal(key.for({ sessions: 5 }), "k1"); // sent again before an answer: the same write
  key.settle(0); // no answer (the network failed)
  assert.equal(key.for({ sessions: 5 }), "k1");
  key.settle(503); // busy: not applied, or not known; a resend must carry the same key
  assert.equal(key.for({ sessions: 5 }), "k1");
  assert.equal(key.for({ sessions: 6 }), "k2"); // a changed body is another write
  key.settle(201);
  assert.equal(key.for({ sessions: 6 }), "k3"); // answered: the next submit is a new write
  key.settle(409); // refused for certain: also settled
  assert.equal(key.for({ sessions: 6 }), "k4");
});

test("the API client sends the token and the form's key, and resends after a lost answer with the same key", async () => {
  const fake = fakeFetch([new TypeError("connection reset"), { status: 200, body: '{"balance": 7}' }]);
  const api = createApi({ root: "/stage", token: () => "tok", fetchFn: fake.fn });
  const key = new WriteKey();
  await assert.rejects(api.call("POST", "/enrollments/e/top-ups", { sessions: 2 }, { key }),
                       (e) => e instanceof ApiError && e.status === 0 && e.code === "network_error");
  const answer = await api.call("POST", "/enrollments/e/top-ups", { sessions: 2 }, { key });
  assert.deepEqual(answer, { balance: 7 });
  const [first, second] = fake.calls;
  assert.equal(first.url, "/stage/enrollments/e/top-ups");
  assert.equal(first.init.headers.Authorization, "Bearer tok");
  assert.equal(first.init.headers["Content-Type"], "application/json");
  assert.equal(first.init.body, '{"sessions":2}');
  assert.ok(first.init.headers["Idempotency-Key"]);
  assert.equal(second.init.headers["Idempotency-Key"], first.init.headers["Idempotency-Key"]);
  assert.equal(key.key, null); // answered: settled
});

test("reads carry no key; writes without a form key get one each", async () => {
  const fake = fakeFetch([{ status: 200, body: "{}" }, { status: 200, body: "{}" }, { status: 200, body: "{}" }]);
  const api = createApi({ root: "", token: () => null, fetchFn: fake.fn });
  await api.call("GET", "/me");
  await api.call("DELETE", "/x");
  await api.call("DELETE", "/x");
  assert.equal(fake.calls[0].init.headers["Idempotency-Key"], undefined);
  assert.equal(fake.calls[0].init.headers.Authorization, undefined);
  assert.notEqual(fake.calls[1].init.headers["Idempotency-Key"], fake.calls[2].init.headers["Idempotency-Key"]);
});

test("the API's errors come back with their status, code and field details", async () => {
  const body = JSON.stringify({ error: { code: "invalid_input", message: "invalid input: reason: missing",
                                         details: [{ field: "reason", message: "Field required" }] } });
  const fake = fakeFetch([{ status: 400, body }, { status: 502, body: "<html>bad gateway</html>" },
                          { status: 200, body: "not json" }]);
  const api = createApi({ root: "", token: () => "t", fetchFn: fake.fn });
  await assert.rejects(api.call("POST", "/a", {}), (e) =>
    e.status === 400 && e.code === "invalid_input" && e.details[0].field === "reason");
  await assert.rejects(api.call("GET", "/b"), (e) => e.status === 502 && e.code === "http_502" && /bad gateway/.test(e.message));
  await assert.rejects(api.call("GET", "/c"), (e) => e.code === "bad_answer");
});

test("a CSV download keeps the server's file name", async () => {
  const fake = fakeFetch([{ status: 200, body: "a,b\n1,2\n",
                            headers: { "Content-Type": "text/csv; charset=utf-8",
                                       "Content-Disposition": 'attachment; filename="students-2026-11-01-2026-11-28.csv"' } }]);
  const api = createApi({ root: "", token: () => "t", fetchFn: fake.fn });
  const file = await api.download("/reports/students?format=csv", "students.csv");
  assert.equal(file.filename, "students-2026-11-01-2026-11-28.csv");
  assert.equal(file.text, "a,b\n1,2\n");
  assert.equal(fake.calls[0].init.headers.Accept, "text/csv");
});

function jwt(claims) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
  return b64({ alg: "HS256" }) + "." + b64(claims) + ".sig";
}

test("claims are read from a token's middle part, in UTF-8; a role claim or the first group", () => {
  assert.equal(roleOf(decodeClaims(jwt({ sub: "u", role: "staff", name: "Zoë" }))), "staff");
  assert.equal(decodeClaims(jwt({ name: "Zoë" })).name, "Zoë");
  assert.equal(roleOf(decodeClaims(jwt({ "cognito:groups": ["teacher", "x"] }))), "teacher");
  assert.equal(roleOf(decodeClaims(jwt({ sub: "u" }))), null);
  assert.equal(decodeClaims("not-a-token"), null);
  assert.equal(decodeClaims("a.!!!.c"), null);
  assert.equal(decodeClaims(jwt([1, 2])), null);
});

test("routes match hashes and decode their parts; links encode them", () => {
  const routes = [[/^#\/student\/([^/]+)$/, "student"], [/^#\/students$/, "students"]];
  const found = route(routes, "#/student/01H%2Fx?tab=ledger");
  assert.equal(found.view, "student");
  assert.deepEqual(found.params, ["01H/x"]);
  assert.equal(found.search.get("tab"), "ledger");
  assert.equal(route(routes, "#/students?q=mia").search.get("q"), "mia");
  assert.equal(route(routes, "#/nothing"), null);
  assert.equal(link("student", "a/b"), "#/student/a%2Fb");
});
