// Hash routes: "#/student/01H..." -> the view registered for it and its decoded parts.

export function route(routes, hash) {
  const [path, search] = String(hash || "").split("?", 2);
  for (const [pattern, view] of routes) {
    const m = path.match(pattern);
    if (m) {
      return { view, params: m.slice(1).map((p) => decodeURIComponent(p)), search: new URLSearchParams(search || "") };
    }
  }
  return null;
}

export function link(...parts) {
  return "#/" + parts.map((p) => encodeURIComponent(String(p))).join("/");
}
