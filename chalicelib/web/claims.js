// What a token says about its holder, read without verifying it: only to choose which pages
// to offer. The API checks every call; nothing here grants anything.

export function decodeClaims(token) {
  const parts = String(token || "").split(".");
  if (parts.length !== 3) return null;
  try {
    const b64 = parts[1].replace(/-/g, "+").replace(/_/g, "/");
    const bytes = atob(b64.padEnd(Math.ceil(b64.length / 4) * 4, "="));
    // atob gives one character per byte; the claims are UTF-8.
    const text = new TextDecoder().decode(Uint8Array.from(bytes, (c) => c.charCodeAt(0)));
    const claims = JSON.parse(text);
    return claims && typeof claims === "object" && !Array.isArray(claims) ? claims : null;
  } catch (e) {
    return null;
  }
}

export function roleOf(claims) {
  if (!claims) return null;
  if (typeof claims.role === "string") return claims.role;
  const groups = claims["cognito:groups"];
  return Array.isArray(groups) && groups.length ? String(groups[0]) : null;
}

export const STAFF_ROLES = ["admin", "staff"];

export function isStaff(role) {
  return STAFF_ROLES.includes(role);
}
