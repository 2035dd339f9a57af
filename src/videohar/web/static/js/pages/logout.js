// Logging out is a CSRF-protected POST; this page sends it and returns to the login page.
import { post } from "../lib/api.js";

try {
  await post("/logout", undefined, { retry: false, redirect: false });
} catch {
  /* already logged out */
}
location.replace("/ui/login?bye=1");
